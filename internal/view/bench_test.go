package view

import (
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// observers builds each text observer over io.Discard.
var observers = map[string]func() Output{
	"live":  func() Output { return NewLive(io.Discard, LiveOptions{NoColor: true, Total: 5000}) },
	"lines": func() Output { return NewLines(io.Discard) },
	"json":  func() Output { return NewJSON(io.Discard) },
}

// BenchmarkProgress measures one Progress call under contention: 8
// goroutines per CPU, each reporting on its own running step.
func BenchmarkProgress(b *testing.B) {
	for name, mk := range observers {
		b.Run(name, func(b *testing.B) {
			o := mk()
			defer o.Close()
			ids := make([]string, 64)
			for i := range ids {
				ids[i] = "copy-" + strconv.Itoa(i)
				o.Event(checkpoint.Event{Type: checkpoint.StepStarted, Step: ids[i], Kind: "transfer", Attempt: 1, Time: time.Now()})
			}
			var next sync.Mutex
			g := 0
			b.SetParallelism(8)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				next.Lock()
				id := ids[g%len(ids)]
				g++
				next.Unlock()
				n := int64(0)
				for pb.Next() {
					n += 32 << 10
					o.Progress(id, n, 1<<40)
				}
			})
		})
	}
}

// BenchmarkRun is one whole run as the observer sees it: 10,000 events
// (5,000 steps started and succeeded, from 8 goroutines) and 1,000,000
// Progress calls from 8 goroutines, then Close. Reported per run.
func BenchmarkRun(b *testing.B) {
	const steps, workers, progressCalls = 5000, 8, 1_000_000
	for name, mk := range observers {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				o := mk()
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						perStep := progressCalls / steps
						for s := w; s < steps; s += workers {
							id := "step-" + strconv.Itoa(s)
							o.Event(checkpoint.Event{Type: checkpoint.StepStarted, Step: id, Kind: "transfer", Host: "h", Attempt: 1, Time: time.Now()})
							for p := range int64(perStep) {
								o.Progress(id, p, int64(perStep))
							}
							o.Event(checkpoint.Event{Type: checkpoint.StepSucceeded, Step: id, Kind: "transfer", Host: "h", Attempt: 1, Time: time.Now(),
								Outputs: map[string]any{"path": "/x/" + id, "bytes": 1, "files": 1}})
						}
					}()
				}
				wg.Wait()
				o.Close()
			}
		})
	}
}

// BenchmarkEvents is 10,000 events (5,000 instant steps started and
// succeeded) from 8 goroutines, then Close; no progress.
func BenchmarkEvents(b *testing.B) {
	const steps, workers = 5000, 8
	for name, mk := range observers {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				o := mk()
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for s := w; s < steps; s += workers {
							id := "step-" + strconv.Itoa(s)
							o.Event(checkpoint.Event{Type: checkpoint.StepStarted, Step: id, Kind: "exec", Host: "local", Attempt: 1, Time: time.Now()})
							o.Event(checkpoint.Event{Type: checkpoint.StepSucceeded, Step: id, Kind: "exec", Host: "local", Attempt: 1, Time: time.Now()})
						}
					}()
				}
				wg.Wait()
				o.Close()
			}
			b.ReportMetric(float64(2*steps)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
