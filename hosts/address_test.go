package hosts

import "testing"

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
