package checkpoint

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeEventMatchesEncodingJSON(t *testing.T) {
	written := Event{Version: 1, Seq: 42, Time: time.Date(2026, 11, 25, 19, 52, 57, 378890130, time.UTC), Run: "r", Type: StepSucceeded,
		Step: "import[m1]", Kind: "import", Host: "new-guest", Batch: "models", Item: "m1", Attempt: 2, Fingerprint: "ab12",
		Outputs: map[string]any{"path": "/x", "n": 3.0, "nested": map[string]any{"a": []any{"b", "}"}}}, Redacted: map[string]string{"path": "redacted:ab12"},
		Error: "", Reason: "r", Status: "ok", DurationMS: 8, DurationUS: 8123}
	ours, _ := json.Marshal(written)
	tests := map[string]string{
		"as written":            string(ours),
		"run started":           `{"version":1,"seq":1,"time":"2026-11-25T19:52:57Z","run":"r","type":"run_started","reason":"planrun apply p.yaml"}`,
		"escaped string":        `{"version":1,"seq":2,"type":"step_failed","error":"say \"hi\"\n\u00e9"}`,
		"html escapes":          `{"seq":2,"error":"a \u003c b \u0026 c"}`,
		"unicode":               `{"seq":2,"step":"étape-日本"}`,
		"whitespace":            `{ "seq": 2, "step": "a" }`,
		"unknown key":           `{"seq":2,"future":{"x":1},"step":"a"}`,
		"float":                 `{"seq":2.0}`,
		"leading zero":          `{"seq":02}`,
		"negative":              `{"seq":-3}`,
		"null outputs":          `{"seq":2,"outputs":null}`,
		"empty outputs":         `{"seq":2,"outputs":{}}`,
		"outputs with escapes":  `{"seq":2,"outputs":{"k":"a\"}b"}}`,
		"duplicate key":         `{"seq":2,"seq":3}`,
		"flat outputs":          `{"seq":2,"outputs":{"s":"x","n":-1.5e3,"z":0,"t":true,"f":false,"nil":null,"big":12345678901234567890}}`,
		"bad number outputs":    `{"seq":2,"outputs":{"n":01}}`,
		"bad literal outputs":   `{"seq":2,"outputs":{"n":tru}}`,
		"dangling exponent":     `{"seq":2,"outputs":{"n":1e}}`,
		"nested outputs":        `{"seq":2,"outputs":{"a":{"b":[1,"c"]}}}`,
		"redacted":              `{"seq":2,"outputs":{"t":"***"},"redacted":{"t":"redacted:ab"}}`,
		"redacted twice":        `{"seq":2,"redacted":{"a":"x"},"redacted":{"b":"y","a":"z"}}`,
		"outputs twice":         `{"seq":2,"outputs":{"a":"x","n":1},"outputs":{"b":"y","a":"z"}}`,
		"outputs twice, nested": `{"seq":2,"outputs":{"a":"x"},"outputs":{"b":{"c":1}}}`,
		"redacted escapes":      `{"seq":2,"redacted":{"a\"b":"x\u0041"}}`,
		"redacted empty":        `{"seq":2,"redacted":{}}`,
		"redacted null":         `{"seq":2,"redacted":null}`,
		"redacted not strings":  `{"seq":2,"redacted":{"a":1}}`,
		"bad time":              `{"time":"yesterday"}`,
		"trailing garbage":      `{"seq":2}x`,
		"torn":                  `{"seq":2,"ste`,
		"empty":                 ``,
		"not an object":         `[1,2]`,
		"empty object":          `{}`,
		"invalid utf8":          "{\"step\":\"a\xffb\"}",
		"wrong type":            `{"seq":"2"}`,
	}
	for name, line := range tests {
		t.Run(name, func(t *testing.T) {
			var want, got Event
			werr := json.Unmarshal([]byte(line), &want)
			gerr := decodeEvent([]byte(line), &got)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("error %v, encoding/json says %v", gerr, werr)
			}
			if werr != nil {
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-encoding/json +fast):\n%s", diff)
			}
		})
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	line, _ := json.Marshal(Event{Version: 1, Seq: 3, Time: time.Now(), Run: "20261125T195257.302874Z", Type: StepSucceeded,
		Step: "import[m1234]", Kind: "instant", Batch: "models", Item: "m1234", Attempt: 1,
		Fingerprint: "4110a3ac9c399db06bd4a92070a72209eade5dc75d06b00a63c3b9081eb82c17", Outputs: map[string]any{"item": "m1234"}, DurationMS: 8})
	for b.Loop() {
		var e Event
		if err := decodeEvent(line, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEventStd(b *testing.B) {
	line, _ := json.Marshal(Event{Version: 1, Seq: 3, Time: time.Now(), Run: "20261125T195257.302874Z", Type: StepSucceeded,
		Step: "import[m1234]", Kind: "instant", Batch: "models", Item: "m1234", Attempt: 1,
		Fingerprint: "4110a3ac9c399db06bd4a92070a72209eade5dc75d06b00a63c3b9081eb82c17", Outputs: map[string]any{"item": "m1234"}, DurationMS: 8})
	for b.Loop() {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEventDurationAlwaysTimed: a timed event under a millisecond keeps
// duration_ms (0) next to duration_us, and reads back the same; an event
// without a duration has neither.
func TestEventDurationAlwaysTimed(t *testing.T) {
	e := Event{Version: 1, Seq: 2, Type: RunFinished, Run: "r", Status: "ok", DurationUS: 499}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"duration_ms":0`) || !strings.Contains(string(b), `"duration_us":499`) {
		t.Errorf("timed event %s: want duration_ms 0 and duration_us 499", b)
	}
	b2, _ := json.Marshal(Event{Version: 1, Type: StepStarted, Step: "a"})
	if strings.Contains(string(b2), "duration") {
		t.Errorf("untimed event %s has a duration", b2)
	}
	b3, _ := json.Marshal(Event{Version: 1, Type: StepSucceeded, Step: "a", DurationMS: 5, DurationUS: 5123})
	if !strings.Contains(string(b3), `"duration_ms":5,`) {
		t.Errorf("event %s", b3)
	}
}
