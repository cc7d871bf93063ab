package hosts

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	// BaseDir is the directory relative local paths (and local hosts'
	// Root) resolve against: the plan file's directory.
	BaseDir string
}

// Pool is the set of hosts of one plan's inventory. It implements
// Resolver: hosts are connected on first use and shared by every step (one
// SSH connection per host). "local" always exists. Close closes them all.
type Pool struct {
	specs map[string]Spec
	opts  PoolOptions

	mu     sync.Mutex
	hosts  map[string]Host
	closed bool
}

var _ Resolver = (*Pool)(nil)

// NewPool returns a pool over an inventory. Nothing is connected yet.
func NewPool(specs map[string]Spec, opts PoolOptions) *Pool {
	s := make(map[string]Spec, len(specs)+1)
	for k, v := range specs {
		s[k] = v
	}
	if _, ok := s[LocalName]; !ok {
		s[LocalName] = Spec{}
	}
	return &Pool{specs: s, opts: opts, hosts: map[string]Host{}}
}

// Names returns every host name in the inventory, sorted ("local" included).
func (p *Pool) Names() []string {
	names := make([]string, 0, len(p.specs))
	for n := range p.specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Spec returns the inventory entry for name.
func (p *Pool) Spec(name string) (Spec, bool) {
	s, ok := p.specs[name]
	return s, ok
}

// Host returns the host called name, connecting it on first use.
func (p *Pool) Host(ctx context.Context, name string) (Host, error) {
	spec, ok := p.specs[name]
	if !ok {
		return nil, fmt.Errorf("host %q: not in the inventory (known: %v)", name, p.Names())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("host %q: %w", name, errors.New("pool is closed"))
	}
	if h, ok := p.hosts[name]; ok {
		return h, nil
	}
	var h Host
	if spec.SSH == "" {
		h = NewLocal(name, p.localRoot(spec))
	} else {
		if err := p.checkJumps(name); err != nil {
			return nil, err
		}
		s, err := NewSSH(name, spec.InDir(p.opts.BaseDir), SSHOptions{Jump: p.jumpDialer})
		if err != nil {
			return nil, err
		}
		h = s
	}
	p.hosts[name] = h
	return h, nil
}

// jumpDialer returns the SSH host a jump host name refers to, when it is an
// inventory host.
func (p *Pool) jumpDialer(ctx context.Context, name string) (*SSH, bool, error) {
	spec, ok := p.specs[name]
	if !ok || spec.SSH == "" {
		return nil, false, nil
	}
	h, err := p.Host(ctx, name)
	if err != nil {
		return nil, true, err
	}
	return h.(*SSH), true, nil
}

// checkJumps refuses a chain of inventory jump hosts that loops.
func (p *Pool) checkJumps(name string) error { return CheckJumps(p.specs, name) }

// CheckJumps refuses a chain of inventory jump hosts, from host name,
// that loops or passes through a host that is not an SSH host.
func CheckJumps(specs map[string]Spec, name string) error {
	chain := []string{name}
	seen := map[string]bool{name: true}
	for cur := name; ; {
		next := specs[cur].Jump
		if next == "" {
			return nil
		}
		if _, inInventory := specs[next]; !inInventory {
			return nil
		}
		chain = append(chain, next)
		if seen[next] {
			return fmt.Errorf("host %q: jump hosts form a cycle: %s", name, strings.Join(chain, " -> "))
		}
		if specs[next].SSH == "" {
			return fmt.Errorf("host %q: jump host %q is not an SSH host", name, next)
		}
		seen[next] = true
		cur = next
	}
}

func (p *Pool) localRoot(spec Spec) string {
	root := spec.Root
	if root == "" {
		return p.opts.BaseDir
	}
	if _, ok := homeRel(root); ok {
		return NewLocal("", "").Resolve(root)
	}
	if !filepath.IsAbs(root) && p.opts.BaseDir != "" {
		root = filepath.Join(p.opts.BaseDir, root)
	}
	return root
}

// InDir returns s with its relative local file names (identity_files,
// known_hosts, ssh_config) taken relative to dir, the plan's directory,
// as a local host's root is, rather than to the working directory: a plan
// finds its keys whichever directory planrun is started in (resume, CI).
// Names starting with ~ and ssh_config: none are left alone.
func (s Spec) InDir(dir string) Spec {
	if dir == "" {
		return s
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "~") {
			return p
		}
		return filepath.Join(dir, p)
	}
	s.IdentityFiles = slices.Clone(s.IdentityFiles)
	for i, f := range s.IdentityFiles {
		s.IdentityFiles[i] = rel(f)
	}
	s.KnownHosts = rel(s.KnownHosts)
	if s.SSHConfig != "none" {
		s.SSHConfig = rel(s.SSHConfig)
	}
	return s
}

// Rebased returns s with every relative file name it holds taken
// relative to dir: those InDir changes, and a local host's root. A hosts
// file in another directory than the plan's names files relative to
// itself; Rebased(its directory, relative to the plan's) turns them into
// the names the plan resolves (and planrun init, writing a plan in another
// directory than the inventory, into the plan's).
func (s Spec) Rebased(dir string) Spec {
	if dir == "" || dir == "." {
		return s
	}
	s = s.InDir(dir)
	if s.SSH == "" && s.Root != "" && !filepath.IsAbs(s.Root) && !strings.HasPrefix(s.Root, "~") {
		s.Root = filepath.Join(dir, s.Root)
	}
	return s
}

// Close closes every connected host. The pool cannot be used afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	hs := p.hosts
	p.hosts, p.closed = map[string]Host{}, true
	p.mu.Unlock()
	var errs []error
	for name, h := range hs {
		if err := h.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close host %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
