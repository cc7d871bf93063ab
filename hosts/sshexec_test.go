package hosts_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestExecEnvNotInArgv: a command's environment reaches it over SSH
// without passing through any command line on the host (env(1)'s
// arguments can be read in /proc by every user there); a name sh cannot
// export still goes through env(1), with its value alone.
func TestExecEnvNotInArgv(t *testing.T) {
	env, err := exec.LookPath("env")
	if err != nil {
		t.Skip("env not installed")
	}
	bin, log := t.TempDir(), filepath.Join(t.TempDir(), "env-args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " + log + "\nexec " + env + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "env"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := sshtest.StartInProcess(t)
	srv.SetExecEnv("PATH=" + bin + ":" + os.Getenv("PATH"))
	h := srv.Host(t, "remote")
	const secret = "s3cret 'quoted' $HOME"
	// The program is env itself (by its path): it prints its environment.
	cmd := hosts.Command{Path: env, Env: map[string]string{"PLANRUN_TOKEN": secret, "PLANRUN-DASH": "plain", "UID": "4242"}}
	res, err := h.Exec(context.Background(), cmd)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d, %v, %s", res.ExitCode, err, res.Stderr)
	}
	for _, want := range []string{"PLANRUN_TOKEN=" + secret, "PLANRUN-DASH=plain", "UID=4242"} {
		if !strings.Contains("\n"+string(res.Stdout), "\n"+want+"\n") {
			t.Errorf("the program's environment lacks %q:\n%s", want, res.Stdout)
		}
	}
	args, _ := os.ReadFile(log)
	if strings.Contains(string(args), "s3cret") || !strings.Contains(string(args), "PLANRUN-DASH=plain") {
		t.Errorf("env(1) ran with %q; want only the variables sh cannot export", args)
	}
}
