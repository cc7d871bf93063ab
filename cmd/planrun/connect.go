package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/plan"
)

// connectTimeout bounds the whole of one host's check (its connection has
// its own connect timeout, 15 s unless the plan or ssh_config says).
const connectTimeout = 2 * time.Minute

// hostCheck is one inventory host's preflight result.
type hostCheck struct {
	name, addr string
	note       string        // said of a host that is ok
	took       time.Duration // SSH hosts: to connect and check
	err        error
}

// checkHosts reaches every host of p's inventory that is more than this
// machine as it is: each SSH host is connected to (host key verified,
// logged in), its root statted over SFTP and a command run through its
// shell; a local host's root must be a directory if it exists; a FATE
// Flow must answer a read-only request. All hosts at once.
func checkHosts(p *plan.Plan) []hostCheck {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool := hosts.NewPool(p.Hosts, hosts.PoolOptions{BaseDir: p.BaseDir})
	defer pool.Close()
	var names []string
	for name, spec := range p.Hosts {
		if spec.SSH != "" || spec.Root != "" || spec.Flow != "" || spec.FateBase != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	commands := map[string]bool{} // hosts exec steps run commands on
	for _, st := range p.Steps {
		if st.Kind == "exec" {
			commands[st.Host] = true
		}
	}
	out := make([]hostCheck, len(names))
	var g errgroup.Group
	g.SetLimit(16)
	for i, name := range names {
		g.Go(func() error {
			c, cancel := context.WithTimeout(ctx, connectTimeout)
			defer cancel()
			start := time.Now()
			out[i] = hostCheck{name: name}
			out[i].addr, out[i].note, out[i].err = checkHost(c, pool, name, commands[name])
			if spec, _ := pool.Spec(name); spec.SSH != "" || spec.Flow != "" {
				out[i].took = time.Since(start)
			}
			return nil
		})
	}
	g.Wait()
	return out
}

// checkHost checks one host and returns where it is (an SSH host's
// address or a local host's root, and its FATE Flow URL), and a note for
// a root that does not exist yet (steps create it).
func checkHost(ctx context.Context, pool *hosts.Pool, name string, commands bool) (where, note string, err error) {
	spec, _ := pool.Spec(name)
	var at []string
	if spec.SSH != "" || spec.Root != "" || spec.FateBase != "" {
		var addr string
		addr, note, err = checkFiles(ctx, pool, name, spec, commands)
		at = append(at, addr)
		if err != nil {
			return strings.Join(at, ", "), "", err
		}
	}
	if spec.Flow != "" {
		at = append(at, "flow "+hosts.RedactURL(spec.Flow))
		err = checkFlow(ctx, name, spec)
	}
	return strings.Join(at, ", "), note, err
}

// checkFiles reaches a host's files and commands. A host that runs no
// command (an SFTP-only account) is only an error when exec steps need
// it to (commands): transfers, collects and native imports work there.
func checkFiles(ctx context.Context, pool *hosts.Pool, name string, spec hosts.Spec, commands bool) (addr, note string, err error) {
	h, err := pool.Host(ctx, name)
	if err != nil {
		return "", "", err
	}
	s, isSSH := h.(*hosts.SSH)
	var notes []string
	if isSSH {
		addr = s.Addr()
		// In /: the root is checked below, and may not exist yet.
		res, err := h.Exec(ctx, hosts.Command{Path: "true", Dir: "/"})
		if err != nil {
			return addr, "", err
		}
		if res.ExitCode != 0 {
			msg, _, _ := strings.Cut(strings.TrimSpace(string(res.Stderr)), "\n")
			if msg == "" { // nologin says it on stdout
				msg, _, _ = strings.Cut(strings.TrimSpace(string(res.Stdout)), "\n")
			}
			if commands {
				return addr, "", fmt.Errorf("the login shell ran `true` with exit status %d: %s (exec steps run commands there)", res.ExitCode, msg)
			}
			notes = append(notes, fmt.Sprintf("it runs no commands (`true`: exit status %d: %s): files only, which is all its steps need", res.ExitCode, msg))
		}
	} else if l, ok := h.(*hosts.Local); ok {
		addr = l.Root()
	}
	err = isDir(h.Stat(ctx, "."))
	if errors.Is(err, fs.ErrNotExist) {
		// fate_base is not checked then: it may lie under the root a step makes.
		return addr, strings.Join(append(notes, "its root does not exist yet"), "; "), nil
	}
	if err != nil {
		where := "root"
		if isSSH && spec.Root == "" {
			where = "login directory"
		}
		return addr, "", fmt.Errorf("%s: %w", where, err)
	}
	where, at := "root", "."
	if spec.FateBase != "" {
		note, err = checkFateBase(ctx, h, spec.FateBase)
		if note != "" {
			notes = append(notes, note)
		}
		where, at = "fate_base", spec.FateBase
	}
	if err == nil {
		// Noted, not failed: a cluster that is only read from may be
		// read-only or full.
		if why := hosts.WriteTrouble(ctx, h, at); why != "" {
			notes = append(notes, fmt.Sprintf("writes under its %s will fail: %s", where, why))
		}
	}
	return addr, strings.Join(notes, "; "), err
}

// checkFateBase checks that a host's fate_base is a directory; a missing
// model_local_cache in it is only noted (FATE makes it with the first
// model, and a native import makes it too).
func checkFateBase(ctx context.Context, h hosts.Host, base string) (string, error) {
	if err := isDir(h.Stat(ctx, base)); err != nil {
		return "", fmt.Errorf("fate_base %s: %w", base, err)
	}
	cache := path.Join(base, "model_local_cache")
	err := isDir(h.Stat(ctx, cache))
	if errors.Is(err, fs.ErrNotExist) {
		return "no model_local_cache in fate_base yet", nil
	}
	if err != nil {
		return "", fmt.Errorf("fate_base: %s: %w", cache, err)
	}
	return "", nil
}

// isDir is a Stat's error, or one when what it found is not a directory.
func isDir(fi fs.FileInfo, err error) error {
	if err == nil && !fi.IsDir() {
		return errors.New("not a directory")
	}
	return err
}

// flowProbe is a model no cluster holds: asking FATE Flow to export it
// reads nothing and changes nothing, and its "does not exist" answer
// shows the URL reaches a FATE Flow that accepts planrun's requests
// (signed when the host has flow_app_key).
var flowProbe = flow.ModelRef{Role: "guest", PartyID: 0, ModelID: "planrun-connect-check", ModelVersion: "0"}

// checkFlow asks a host's FATE Flow about flowProbe.
func checkFlow(ctx context.Context, name string, spec hosts.Spec) error {
	c, err := flow.ForHost(name, spec, os.LookupEnv, flow.Options{Timeout: 30 * time.Second, Retries: -1})
	if err != nil {
		return err
	}
	_, err = c.Exists(ctx, flowProbe) // its errors name the host and the request
	return err
}
