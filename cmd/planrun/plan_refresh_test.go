package main

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// TestProbeAll: plan --refresh asks the probes of the steps it will ask
// about all at once (a dead host costs one connect timeout, not one per
// step), only of those, and answers from their results.
func TestProbeAll(t *testing.T) {
	reg := kindRegistry()
	p := &plan.Plan{}
	prior := map[string]*checkpoint.StepState{}
	for i := range 5 {
		s := &plan.Step{ID: fmt.Sprintf("s%d", i), Kind: "exec", With: map[string]any{"command": fmt.Sprintf("echo %d", i)}}
		p.Steps = append(p.Steps, s)
		k, _ := reg.Lookup("exec")
		_, params, err := plan.Resolve(s, reg, nil, os.LookupEnv)
		if err != nil {
			t.Fatal(err)
		}
		fp := plan.Fingerprint(s, k.Version(), params)
		if i == 4 {
			fp = "changed" // preview will not ask about it
		}
		prior[s.ID] = &checkpoint.StepState{ID: s.ID, Status: checkpoint.StatusSucceeded, Fingerprint: fp}
	}
	var mu sync.Mutex
	inFlight, most := 0, 0
	calls := map[string]int{}
	check := func(s *plan.Step, _ steps.Kind, _ any, _ *checkpoint.StepState) (string, steps.Outputs) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		calls[s.ID]++
		mu.Unlock()
		// Wait until the four are in flight together (or give up).
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			all := most == 4
			mu.Unlock()
			if all {
				break
			}
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return "gone " + s.ID, nil
	}
	cached := probeAll(p, reg, prior, check)
	if most != 4 {
		t.Errorf("at most %d probes at once, want the 4 to be asked about together", most)
	}
	pv := preview(p, reg, prior, nil, cached)
	for i, d := range pv.Steps[:4] {
		if want := fmt.Sprintf("gone s%d", i); d.Reason != want {
			t.Errorf("%s: reason %q, want %q", d.ID, d.Reason, want)
		}
	}
	if d := pv.Steps[4]; d.Reason != "changed since it succeeded" {
		t.Errorf("s4: reason %q", d.Reason)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("%s probed %d times, want once", id, n)
		}
	}
	if len(calls) != 4 {
		t.Errorf("probed %v, want s0-s3", calls)
	}
}
