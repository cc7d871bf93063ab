package view

import (
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/vbauerster/mpb/v8"
)

// LiveOptions configure the live view.
type LiveOptions struct {
	// Total is the number of steps in the run, for the "done/total" count
	// (0 when unknown).
	Total int
	// NoColor turns colours off. They are also off when ColorAllowed
	// (NO_COLOR, TERM=dumb) says so.
	NoColor bool
	// Width is the render width when w is not a terminal (default 120);
	// on a terminal its width is used.
	Width int
	// Refresh is the render interval (default 100ms, 10 Hz).
	Refresh time.Duration
	// MaxRunning caps the running steps shown at once (default 16); the
	// overall line counts the others.
	MaxRunning int
	// ShowAfter is how long a step must run before it gets a line of its
	// own (default 200ms); a step that reports byte progress gets one at
	// once. Instant steps only ever appear as a finished line.
	ShowAfter time.Duration
}

// Live is the terminal view: one line per running step (id, kind, host,
// attempt, elapsed; a bar with bytes, rate and ETA for steps that report
// byte progress), every finished step printed above as one line, and an
// overall line at the bottom. It renders at most every Refresh from one
// goroutine; Event and Progress only record state (Progress with atomics,
// no lock, no allocation). Close stops rendering and prints the summary.
type Live struct {
	w       io.Writer
	opts    LiveOptions
	color   bool
	p       *mpb.Progress
	refresh chan any
	gone    chan any // closed by mpb when it shuts down (also on a write error)
	stop    chan struct{}
	stopped chan struct{}
	steps   tracker
	summary *Summary
	start   time.Time

	mu      sync.Mutex
	pending []byte              // finished lines for the next frame
	active  map[string]*running // running steps, for the render loop
	closed  bool

	finished, failed, skipped, nRunning atomic.Int64

	// owned by the render loop
	bars    map[*running]*mpb.Bar
	snap    []*running
	overall *mpb.Bar
}

// NewLive starts a live view writing to w (normally a terminal).
func NewLive(w io.Writer, opts LiveOptions) *Live {
	if opts.Width <= 0 {
		opts.Width = 120
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 100 * time.Millisecond
	}
	if opts.MaxRunning <= 0 {
		opts.MaxRunning = 16
	}
	if opts.ShowAfter <= 0 {
		opts.ShowAfter = 200 * time.Millisecond
	}
	l := &Live{
		w:       w,
		opts:    opts,
		color:   !opts.NoColor && ColorAllowed(os.Getenv),
		refresh: make(chan any),
		gone:    make(chan any),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		summary: NewSummary(),
		start:   time.Now(),
		active:  map[string]*running{},
		bars:    map[*running]*mpb.Bar{},
	}
	l.p = mpb.New(
		mpb.WithConsoleWriter(newConsole(w, opts.Width)),
		mpb.WithManualRefresh(l.refresh),
		mpb.WithShutdownNotifier(l.gone),
	)
	l.overall = l.p.New(0, mpb.NopStyle(), mpb.BarPriority(math.MaxInt32),
		mpb.PrependDecorators(l.overallDecorator()))
	go l.loop()
	return l
}

// Carry counts e, a success kept from the run resumed, in the summary.
func (l *Live) Carry(e checkpoint.Event) { l.summary.Event(e) }

// LeftOut counts the steps --only left out, in the summary.
func (l *Live) LeftOut(n int) { l.summary.SetLeftOut(n) }

// Event records e: a started step joins the running set, a finished one
// leaves it and its line is queued for the next frame.
func (l *Live) Event(e checkpoint.Event) {
	l.summary.Event(e)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	switch e.Type {
	case checkpoint.StepStarted:
		r := l.steps.start(e, time.Now())
		if _, ok := l.active[e.Step]; !ok {
			l.active[e.Step] = r
			l.nRunning.Add(1)
		}
	case checkpoint.AttemptFailed:
		l.pending = l.appendFinished(l.pending, e, nil)
	case checkpoint.StepSucceeded, checkpoint.StepFailed, checkpoint.StepSkipped, checkpoint.StepInterrupted:
		r, _ := l.steps.finish(e.Step)
		if _, ok := l.active[e.Step]; ok {
			delete(l.active, e.Step)
			l.nRunning.Add(-1)
		}
		switch e.Type {
		case checkpoint.StepFailed, checkpoint.StepInterrupted:
			l.failed.Add(1)
		case checkpoint.StepSkipped:
			l.skipped.Add(1)
		}
		l.finished.Add(1)
		l.pending = l.appendFinished(l.pending, e, r)
	}
}

// Progress records byte progress of a running step.
func (l *Live) Progress(step string, done, total int64) {
	l.steps.update(step, done, total)
}

// appendFinished formats the line printed above the running steps.
func (l *Live) appendFinished(b []byte, e checkpoint.Event, r *running) []byte {
	var mark, colour string
	switch e.Type {
	case checkpoint.StepSucceeded:
		mark, colour = "✓", green
	case checkpoint.StepFailed:
		mark, colour = "✗", red
	case checkpoint.StepSkipped:
		mark, colour = "–", yellow
	case checkpoint.StepInterrupted:
		mark, colour = "!", magenta
	case checkpoint.AttemptFailed:
		mark, colour = "↻", yellow
	}
	b = append(b, l.paint(colour, mark)...)
	b = append(b, ' ')
	b = append(b, eventLabel(e)...)
	switch e.Type {
	case checkpoint.StepSkipped:
		b = append(b, " skipped"...)
	case checkpoint.AttemptFailed:
		b = append(b, " attempt "...)
		b = strconv.AppendInt(b, int64(e.Attempt), 10)
		b = append(b, " failed, retrying"...)
	case checkpoint.StepInterrupted:
		b = append(b, " interrupted "...)
		b = append(b, formatDuration(duration(e, r))...)
	case checkpoint.StepFailed:
		if e.Attempt > 1 {
			b = append(b, " after "...)
			b = strconv.AppendInt(b, int64(e.Attempt), 10)
			b = append(b, " attempts"...)
		}
		b = append(b, ' ')
		b = append(b, formatDuration(duration(e, r))...)
	default:
		b = append(b, ' ')
		b = append(b, formatDuration(duration(e, r))...)
	}
	if msg := eventMessage(e); msg != "" {
		b = append(b, ": "...)
		if e.Error != "" {
			msg = l.paint(red, oneLine(msg))
		} else {
			msg = oneLine(msg)
		}
		b = append(b, msg...)
	}
	return append(b, '\n')
}

// loop renders every Refresh until Close.
func (l *Live) loop() {
	defer close(l.stopped)
	t := time.NewTicker(l.opts.Refresh)
	defer t.Stop()
	var lines []byte
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			lines = l.frame(lines, false)
		}
	}
}

// frame brings the bars in line with the running set and renders once.
// With final, every bar is dropped.
func (l *Live) frame(lines []byte, final bool) []byte {
	now := time.Now()
	l.mu.Lock()
	lines, l.pending = l.pending, lines[:0]
	l.snap = l.snap[:0]
	for _, r := range l.active {
		l.snap = append(l.snap, r)
	}
	l.mu.Unlock()

	if len(lines) > 0 {
		l.p.Write(lines)
	}
	live := make(map[*running]bool, len(l.snap))
	for _, r := range l.snap {
		live[r] = !final
	}
	for r, bar := range l.bars {
		if !live[r] {
			bar.Abort(true)
			delete(l.bars, r)
		}
	}
	if !final {
		// Oldest first, so the lines shown stay put when there are more
		// running steps than MaxRunning.
		slices.SortFunc(l.snap, func(a, b *running) int { return a.seen.Compare(b.seen) })
		for _, r := range l.snap {
			if _, ok := l.bars[r]; ok {
				continue
			}
			if len(l.bars) >= l.opts.MaxRunning {
				break
			}
			if r.progressed.Load() || now.Sub(r.seen) >= l.opts.ShowAfter {
				if bar := l.newBar(r); bar != nil {
					l.bars[r] = bar
				}
			}
		}
	} else {
		l.overall.Abort(true)
	}
	select {
	case l.refresh <- now:
	case <-l.gone: // the terminal went away: nothing renders any more
	}
	return lines
}

// Close stops rendering, clears the running lines and prints the summary.
func (l *Live) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.stopped
	l.frame(nil, true)
	l.p.Wait()
	if err := l.summary.Render(l.w); err != nil {
		return err
	}
	return l.p.Error
}
