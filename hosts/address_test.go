package hosts

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := map[string]struct{ in, host, path string }{
		"host and abs path":  {"old-guest:/data/x", "old-guest", "/data/x"},
		"local prefix":       {"local:work/guest", "local", "work/guest"},
		"no prefix":          {"work/guest", "local", "work/guest"},
		"abs path colon":     {"/a:b", "local", "/a:b"},
		"dot path colon":     {"./x:y", "local", "./x:y"},
		"leading colon":      {":z", "local", ":z"},
		"host empty path":    {"h:", "h", ""},
		"dotted host":        {"node1.example.com:/p", "node1.example.com", "/p"},
		"space not a host":   {"a b:c", "local", "a b:c"},
		"second colon kept":  {"h:/a:b", "h", "/a:b"},
		"model id with hash": {"h:/m/guest#9999#x:y", "h", "/m/guest#9999#x:y"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h, p := ParseAddress(tc.in)
			if h != tc.host || p != tc.path {
				t.Errorf("ParseAddress(%q) = %q, %q; want %q, %q", tc.in, h, p, tc.host, tc.path)
			}
		})
	}
}

func TestHomePaths(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory:", err)
	}
	ssh := &SSH{spec: Spec{Root: "/srv/fate"}}
	sshHomeRoot := &SSH{spec: Spec{Root: "~/fate"}}
	local := NewLocal("local", "/plans")
	for _, tc := range []struct{ p, local, ssh, sshHomeRoot string }{
		{"~", home, ".", "."},
		{"~/", home, ".", "."},
		{"~/a/../b", filepath.Join(home, "b"), "b", "b"},
		{"~user/x", "/plans/~user/x", "/srv/fate/~user/x", "fate/~user/x"},
		{"a~/x", "/plans/a~/x", "/srv/fate/a~/x", "fate/a~/x"},
		{"model", "/plans/model", "/srv/fate/model", "fate/model"},
		{"/abs", "/abs", "/abs", "/abs"},
	} {
		if got := local.Resolve(tc.p); got != tc.local {
			t.Errorf("local %q = %q, want %q", tc.p, got, tc.local)
		}
		if got := ssh.resolve(tc.p); got != tc.ssh {
			t.Errorf("ssh %q = %q, want %q", tc.p, got, tc.ssh)
		}
		if got := sshHomeRoot.resolve(tc.p); got != tc.sshHomeRoot {
			t.Errorf("ssh with root ~/fate: %q = %q, want %q", tc.p, got, tc.sshHomeRoot)
		}
	}
	p := NewPool(map[string]Spec{"h": {Root: "~/models"}}, PoolOptions{BaseDir: "/plans"})
	defer p.Close()
	if got := p.localRoot(Spec{Root: "~/models"}); got != filepath.Join(home, "models") {
		t.Errorf("local root ~/models = %q", got)
	}
}
