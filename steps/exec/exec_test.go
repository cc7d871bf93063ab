package exec_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/exec"
)

func newEnv(t *testing.T) (*steps.Env, *bytes.Buffer) {
	pool := hosts.NewPool(nil, hosts.PoolOptions{BaseDir: t.TempDir()})
	t.Cleanup(func() { pool.Close() })
	var log bytes.Buffer
	return &steps.Env{StepID: "s", Attempt: 1, Hosts: pool, Log: &log, Progress: steps.NopProgress{}}, &log
}

func TestRun(t *testing.T) {
	tests := map[string]struct {
		cfg     exec.Config
		want    steps.Outputs
		wantErr string
	}{
		"shell line": {
			cfg:  exec.Config{Command: "echo '  hello  '; echo note >&2"},
			want: steps.Outputs{"stdout": "hello"},
		},
		"args run directly": {
			cfg:  exec.Config{Command: "printf", Args: []string{"%s-%s", "a b", "$c"}},
			want: steps.Outputs{"stdout": "a b-$c"},
		},
		"json object fields": {
			cfg: exec.Config{Command: `echo '{"zip": "/x/m.zip", "n": 3, "ok": true, "f": 1.5, "list": [1,2], "nil": null}'`},
			want: steps.Outputs{
				"stdout": `{"zip": "/x/m.zip", "n": 3, "ok": true, "f": 1.5, "list": [1,2], "nil": null}`,
				"zip":    "/x/m.zip", "n": int64(3), "ok": true, "f": 1.5, "list": "[1,2]", "nil": "",
			},
		},
		"json nested values as written": {
			// Not "\u003c": a redactor looks for a secret as it is.
			cfg: exec.Config{Command: `echo '{"a": {"tok": "p<ss&w0rd>42"}}'`},
			want: steps.Outputs{
				"stdout": `{"a": {"tok": "p<ss&w0rd>42"}}`,
				"a":      `{"tok":"p<ss&w0rd>42"}`,
			},
		},
		"json array is not fields": {
			cfg:  exec.Config{Command: `echo '[1]'`},
			want: steps.Outputs{"stdout": "[1]"},
		},
		"env and dir": {
			cfg:  exec.Config{Command: `mkdir -p d && cd d && echo "$GREETING $(basename "$PWD")"`, Env: map[string]string{"GREETING": "hi there"}},
			want: steps.Outputs{"stdout": "hi there d"},
		},
		"non-zero exit": {
			cfg:     exec.Config{Command: "echo l1 >&2; echo l2 >&2; exit 7"},
			wantErr: "exit status 7: l1\nl2",
		},
		"non-zero exit, said on stdout": {
			cfg:     exec.Config{Command: "echo 'This account is currently not available.'; exit 1"},
			wantErr: "exit status 1: (no stderr; stdout ends: This account is currently not available.)",
		},
		"non-zero exit, silent": {
			cfg:     exec.Config{Command: "exit 3"},
			wantErr: "exit status 3: (no output)",
		},
		"timeout": {
			cfg:     exec.Config{Command: "sleep 20", Timeout: "300ms"},
			wantErr: "command timed out after 300ms",
		},
		"unknown host": {
			cfg:     exec.Config{Host: "ghost", Command: "true"},
			wantErr: `host "ghost": not in the inventory`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env, _ := newEnv(t)
			cfg := tc.cfg
			start := time.Now()
			out, err := exec.New().Run(context.Background(), env, &cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				if time.Since(start) > 10*time.Second {
					t.Errorf("took %v", time.Since(start))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, out); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
		})
	}
}

// TestLargeStdout: a command that prints megabytes keeps the end of its
// stdout in its outputs, says how much is left out and where it all is;
// the log has every byte.
func TestLargeStdout(t *testing.T) {
	env, log := newEnv(t)
	cfg := exec.Config{Command: `head -c 3000000 /dev/zero | tr '\0' x; echo; echo '{"done": true}'`}
	out, err := exec.New().Run(context.Background(), env, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := out["stdout"].(string)
	head := "[planrun: the first 1951440 bytes of stdout are left out here; planrun logs s has it all]\n"
	if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, "x\n{\"done\": true}") || len(got) != len(head)+1<<20-1 {
		t.Errorf("stdout output: %d bytes, %.120q ... %q", len(got), got, got[max(0, len(got)-20):])
	}
	if len(out) != 1 {
		t.Errorf("outputs %v, want stdout only (no JSON fields from a cut stdout)", len(out))
	}
	if log.Len() != 3000000+1+15 {
		t.Errorf("log has %d bytes, want all %d", log.Len(), 3000000+1+15)
	}
}

// TestCutInsideSecret: where the end of what a command printed is kept
// (its failure text, its stdout output) and the cut falls inside a secret,
// the rest of the secret is masked, not left in the clear (the whole of
// one is masked when events are recorded).
func TestCutInsideSecret(t *testing.T) {
	const secret = "hunter2222secretX"
	piece := secret[5:] // what a cut 5 bytes into the secret leaves
	tests := map[string]struct {
		command string
	}{
		// The failure text keeps the last 2048 bytes of stderr, or 1024
		// of stdout; the stdout output, the last 1 MiB.
		"failure text":      {command: `printf "%0100d$T%02043d" 0 0 >&2; exit 1`},
		"failure on stdout": {command: `printf "%0100d$T%01019d" 0 0; exit 1`},
		"stdout output":     {command: `printf "%0100d$T" 0; head -c 1048571 /dev/zero | tr '\0' y`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env, _ := newEnv(t)
			env.Redactor = redact.New(secret)
			cfg := exec.Config{Command: tc.command, Env: map[string]string{"T": secret}}
			out, err := exec.New().Run(context.Background(), env, &cfg)
			var got string
			if err != nil {
				got = err.Error()
			} else {
				got, _ = out["stdout"].(string)
			}
			if !strings.HasSuffix(got, "00") && !strings.HasSuffix(got, "00)") && !strings.HasSuffix(got, "yy") {
				t.Fatalf("want the end of the output, got %.200q", got)
			}
			if strings.Contains(got, piece[len(piece)-redact.MinLen:]) {
				t.Errorf("a piece of the secret is left: %.200q", got)
			}
			if !strings.Contains(got, redact.Mask) {
				t.Errorf("no mask where the secret was cut: %.200q", got)
			}
		})
	}
}

// TestLogSecretAcrossStreams: a secret written to stdout in two pieces,
// with stderr writing in between, is masked in the log (the log's one
// redacting stream flushed the held-back first piece when stderr wrote).
func TestLogSecretAcrossStreams(t *testing.T) {
	const secret = "hunter2222secretX"
	env, _ := newEnv(t)
	red := redact.New(secret)
	var log bytes.Buffer
	runLog := red.Writer(&log) // as the runner writes an attempt's log
	env.Log, env.Redactor = runLog, red
	cmd := `printf 'token: %s' "${T%????????????}"; sleep 0.2; echo warning >&2; sleep 0.2; printf '%s\n' "${T#?????}"`
	if _, err := exec.New().Run(context.Background(), env, &exec.Config{Command: cmd, Env: map[string]string{"T": secret}}); err != nil {
		t.Fatal(err)
	}
	runLog.Flush()
	got := log.String()
	if !strings.Contains(got, "warning") || !strings.Contains(got, "token: ") {
		t.Fatalf("log = %q", got)
	}
	for _, piece := range []string{secret[:5], secret[5:]} {
		if strings.Contains(got, piece) {
			t.Errorf("log %q holds %q, a piece of the secret", got, piece)
		}
	}
}

func TestLogStreams(t *testing.T) {
	env, log := newEnv(t)
	if _, err := exec.New().Run(context.Background(), env, &exec.Config{Command: "echo out; echo err >&2"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "out\n") || !strings.Contains(log.String(), "err\n") {
		t.Errorf("log = %q", log.String())
	}
}

func TestValidate(t *testing.T) {
	got := exec.New().Validate(&exec.Config{Command: " ", Timeout: "soon", Env: map[string]string{"A=B": "x"}})
	want := []steps.FieldError{
		{Path: "command", Msg: "must not be empty"},
		{Path: "timeout", Msg: `invalid duration "soon" (use e.g. 90s, 5m)`},
		{Path: "env.A=B", Msg: "invalid environment variable name"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	got = exec.New().Validate(&exec.Config{Command: "true", Timeout: "0s"})
	want = []steps.FieldError{{Path: "timeout", Msg: `"0s": want a time limit greater than 0 (leave it out for none)`}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("zero timeout (-want +got):\n%s", d)
	}
	if errs := exec.New().Validate(&exec.Config{Command: "x", Timeout: "${{ vars.t }}"}); len(errs) != 0 {
		t.Errorf("expression timeout: %v", errs)
	}
	refs := exec.New().HostRefs(&exec.Config{Command: "x"})
	if d := cmp.Diff([]steps.HostRef{{Path: "host", Host: "local"}}, refs); d != "" {
		t.Error(d)
	}
}

func TestIdempotent(t *testing.T) {
	k := exec.New()
	tests := map[string]struct {
		cfg  any
		want bool
	}{
		"default":            {&exec.Config{Command: "true"}, false},
		"declared":           {&exec.Config{Command: "true", Idempotent: true}, true},
		"declared false":     {&exec.Config{Command: "true", Idempotent: false}, false},
		"no config (static)": {nil, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := steps.IsIdempotent(k, tc.cfg); got != tc.want {
				t.Errorf("IsIdempotent = %v, want %v", got, tc.want)
			}
		})
	}
}
