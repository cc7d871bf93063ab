package hosts

import (
	"path"
	"strings"
)

// LocalName is the inventory name of the machine planrun runs on. It always
// exists, whether or not the inventory lists it.
const LocalName = "local"

// ParseAddress splits a "host:path" address. A string without a host prefix
// is a path on the local machine: the prefix before the first ':' counts as
// a host only when it is a non-empty name made of letters, digits, '.', '_'
// and '-' (so "/a:b", "./x:y" and ":z" are local paths).
func ParseAddress(s string) (host, path string) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || !validHostName(s[:i]) {
		return LocalName, s
	}
	return s[:i], s[i+1:]
}

func validHostName(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return s != ""
}

// homeRel reports whether p names the home directory by the shorthand
// scp and the shells take ("~", or "~/" and a path), and returns the
// rest of p ("." for "~" itself), relative to that home. "~user/" is not
// taken: it stays a plain relative path.
func homeRel(p string) (string, bool) {
	if p == "~" {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return path.Clean("./" + rest), true
	}
	return "", false
}
