package view

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// ANSI colours (SGR), used only when colours are allowed.
const (
	green   = "\x1b[32m"
	red     = "\x1b[31m"
	yellow  = "\x1b[33m"
	magenta = "\x1b[35m"
	cyan    = "\x1b[36m"
	reset   = "\x1b[0m"
)

func (l *Live) paint(colour, s string) string {
	if !l.color || colour == "" {
		return s
	}
	return colour + s + reset
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// newBar adds the line of a running step:
//
//	⠹ copy-guest (transfer, host old-guest)  attempt 1  3.2s [=====>----] 12.0 MiB / 40.0 MiB 30% 3.7 MiB/s ETA 7s
//
// Its bar and byte figures appear once the step reports progress. The
// decorators read the step's atomics directly, so nothing is pushed into
// the bar between frames.
func (l *Live) newBar(r *running) *mpb.Bar {
	label := stepLabel(r.id, r.kind, r.host, r.item)
	name := decor.Any(func(decor.Statistics) string {
		i := int(time.Since(l.start)/l.opts.Refresh) % len(spinner)
		return l.paint(cyan, spinner[i]) + " " + label
	}, decor.WCSyncSpaceR)
	meta := decor.Any(func(decor.Statistics) string {
		return "attempt " + strconv.FormatInt(r.attempt.Load(), 10) + "  " + formatDuration(time.Since(r.seen).Truncate(100*time.Millisecond))
	}, decor.WCSyncSpaceR)
	// A fixed minimum width keeps the bar from shrinking as rate and ETA appear.
	bytes := decor.Any(func(decor.Statistics) string { return progressText(r, time.Now()) },
		decor.WC{W: 48, C: decor.DindentRight})
	bar, err := l.p.Add(0, stepFiller{r: r, bar: barStyle.Build()},
		mpb.BarWidth(24),
		mpb.PrependDecorators(name, meta),
		mpb.AppendDecorators(bytes))
	if err != nil {
		return nil // the container is shutting down
	}
	return bar
}

var barStyle = mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding("-").Rbound("]")

// stepFiller draws the bar from the step's own counters, and nothing for a
// step without byte progress or without a known total.
type stepFiller struct {
	r   *running
	bar mpb.BarFiller
}

func (f stepFiller) Fill(w io.Writer, stat decor.Statistics) error {
	total := f.r.total.Load()
	if !f.r.progressed.Load() || total <= 0 {
		return nil
	}
	stat.Total, stat.Current = total, min(f.r.done.Load(), total)
	return f.bar.Fill(w, stat)
}

// progressText is "12.0 MiB / 40.0 MiB 30% 3.7 MiB/s ETA 7s", or "" for a
// step without progress.
func progressText(r *running, now time.Time) string {
	if !r.progressed.Load() {
		return ""
	}
	done, total := r.done.Load(), r.total.Load()
	var b strings.Builder
	b.WriteString(formatBytes(done))
	if total > 0 {
		b.WriteString(" / " + formatBytes(total) + " " + strconv.Itoa(percent(done, total)) + "%")
	}
	elapsed := now.Sub(time.Unix(0, r.firstProgress.Load()))
	if elapsed < 500*time.Millisecond || done <= 0 {
		return b.String()
	}
	rate := float64(done) / elapsed.Seconds()
	b.WriteString(" " + formatBytes(int64(rate)) + "/s")
	if total > done && rate > 0 {
		eta := time.Duration(float64(total-done) / rate * float64(time.Second))
		b.WriteString(" ETA " + formatETA(eta))
	}
	return b.String()
}

// overallDecorator is the bottom line:
// "12/200 steps done · items 2/40 ok · 1 failed · 3 skipped · 4 running · 3.2s".
func (l *Live) overallDecorator() decor.Decorator {
	return decor.Any(func(decor.Statistics) string {
		var b strings.Builder
		if l.opts.Total > 0 {
			b.WriteString(strconv.FormatInt(l.finished.Load(), 10) + "/" + strconv.Itoa(l.opts.Total) + " steps done")
		} else {
			b.WriteString(Plural(l.finished.Load(), "step") + " done")
		}
		if c := l.summary.Counts(); c.Items > 0 {
			b.WriteString(" · items " + strconv.Itoa(c.ItemsOK) + "/" + strconv.Itoa(c.Items) + " ok")
		}
		if n := l.failed.Load(); n > 0 {
			b.WriteString(" · " + l.paint(red, strconv.FormatInt(n, 10)+" failed"))
		}
		if n := l.skipped.Load(); n > 0 {
			b.WriteString(" · " + strconv.FormatInt(n, 10) + " skipped")
		}
		n := l.nRunning.Load()
		b.WriteString(" · " + strconv.FormatInt(n, 10) + " running")
		if n > int64(l.opts.MaxRunning) {
			b.WriteString(" (" + strconv.Itoa(l.opts.MaxRunning) + " shown)")
		}
		b.WriteString(" · " + formatDuration(time.Since(l.start).Truncate(100*time.Millisecond)))
		return b.String()
	})
}

// formatETA is a remaining time in whole seconds: "7s", "2m03s".
func formatETA(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())) + "s"
	}
	return formatDuration(d)
}
