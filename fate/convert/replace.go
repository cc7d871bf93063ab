package convert

import (
	"fmt"
	"strconv"
	"strings"
)

// knownRoles are the roles FATE's AutoReplace holds a mapping for (an
// absent mapping is empty, never unknown).
var knownRoles = map[string]bool{"guest": true, "host": true, "arbiter": true}

// replacer applies FATE 1.9+'s string rules (converter_base.AutoReplace and
// anonymous_generator_util.Anonymous) for one mapping, and records whether
// anything changed. Python int() parsing is reproduced by pyInt.
type replacer struct {
	m       Mapping
	compat  bool
	changed bool
	colons  map[string]string // memo of colon(): tree sitenames repeat a lot
}

func newReplacer(m Mapping, opt Options) *replacer {
	return &replacer{m: m, compat: opt.FATECompat, colons: map[string]string{}}
}

// set stores v in *p, noting a change.
func (r *replacer) set(p *string, v string) {
	if *p != v {
		*p = v
		r.changed = true
	}
}

// lookup maps an old id of role; role must be a known role.
func (r *replacer) lookup(role string, pid int64) (int64, error) {
	if !knownRoles[role] {
		return 0, fmt.Errorf("%w %q", ErrUnknownRole, role)
	}
	n, ok := r.m[role][pid]
	if !ok {
		return 0, fmt.Errorf("%w: %s %d", ErrUnmapped, role, pid)
	}
	return n, nil
}

// mapText maps the id written pidText (a Python int) of role: an unknown
// role, an id that is not an integer or is not mapped is an error.
func (r *replacer) mapText(role, pidText string) (int64, error) {
	if !knownRoles[role] {
		return 0, fmt.Errorf("%w %q", ErrUnknownRole, role)
	}
	pid, ok := pyInt(pidText)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrNotInteger, pidText)
	}
	return r.lookup(role, pid)
}

// colon rewrites "role:pid" (FATE colon_format): exactly one ':', a known
// role, an integer id that is mapped.
func (r *replacer) colon(s string) (string, error) {
	if v, ok := r.colons[s]; ok {
		return v, nil
	}
	role, pidText, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(pidText, ":") {
		return "", fmt.Errorf("%w: want role:party_id", ErrBadForm)
	}
	n, err := r.mapText(role, pidText)
	if err != nil {
		return "", err
	}
	v := role + ":" + strconv.FormatInt(n, 10)
	r.colons[s] = v
	return v, nil
}

// replace is FATE 1.9+'s replace(): the colon rule when s has a ':',
// otherwise s unchanged.
func (r *replacer) replace(s string) (string, error) {
	if !strings.Contains(s, ":") {
		return s, nil
	}
	return r.colon(s)
}

// tuple rewrites "(role,pid)" (FATE party_tuple_format). FATE writes the
// result as "(role, new)"; outside compat mode the original spacing after
// the comma is kept, so that a migration back restores the exact string.
func (r *replacer) tuple(s string) (string, error) {
	inner := strings.Trim(s, "()")
	role, pidText, ok := strings.Cut(inner, ",")
	if !ok || strings.Contains(pidText, ",") {
		return "", fmt.Errorf("%w: want (role,party_id)", ErrBadForm)
	}
	n, err := r.mapText(role, pidText)
	if err != nil {
		return "", err
	}
	sep := " "
	if !r.compat {
		sep = pidText[:len(pidText)-len(strings.TrimLeft(pidText, " \t"))]
	}
	return "(" + role + "," + sep + strconv.FormatInt(n, 10) + ")", nil
}

// anonymous rewrites an anonymous column "role_pid_suffix" (FATE
// migrate_anonymous): fewer than two '_' is an error; an unknown role is an
// error; a non-integer id keeps the column; an integer id must be mapped.
func (r *replacer) anonymous(col string) (string, error) {
	parts := strings.SplitN(col, "_", 3)
	if len(parts) < 3 {
		return "", fmt.Errorf("%w: want role_partyid_suffix", ErrBadForm)
	}
	if !knownRoles[parts[0]] {
		return "", fmt.Errorf("%w %q", ErrUnknownRole, parts[0])
	}
	pid, ok := pyInt(parts[1])
	if !ok {
		return col, nil
	}
	n, err := r.lookup(parts[0], pid)
	if err != nil {
		return "", err
	}
	return parts[0] + "_" + strconv.FormatInt(n, 10) + "_" + parts[2], nil
}

// maybeAnonymous rewrites col only when FATE's is_anonymous holds: at least
// three '_'-separated parts, a known role and a mapped id. A known role
// with a non-integer id is an error, as in FATE.
func (r *replacer) maybeAnonymous(col string) (string, error) {
	parts := strings.Split(col, "_")
	if len(parts) < 3 || !knownRoles[parts[0]] {
		return col, nil
	}
	pid, ok := pyInt(parts[1])
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNotInteger, parts[1])
	}
	if _, ok := r.m[parts[0]][pid]; !ok {
		return col, nil
	}
	return r.anonymous(col)
}

// loose rewrites col when it is an anonymous column of a known role with a
// mapped integer id, and keeps it otherwise. It never fails: it serves the
// fields FATE leaves alone, where real column names also appear.
func (r *replacer) loose(col string) string {
	parts := strings.SplitN(col, "_", 3)
	if len(parts) < 3 || !knownRoles[parts[0]] {
		return col
	}
	pid, ok := pyInt(parts[1])
	if !ok {
		return col
	}
	n, ok := r.m[parts[0]][pid]
	if !ok {
		return col
	}
	return parts[0] + "_" + strconv.FormatInt(n, 10) + "_" + parts[2]
}

// plain rewrites a plain party id of role (FATE plain_replace): it must be
// an integer; an unmapped id is kept (in Python's str(int(x)) form).
func (r *replacer) plain(pidText, role string) (string, error) {
	pid, ok := pyInt(pidText)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNotInteger, pidText)
	}
	if n, ok := r.m[role][pid]; ok {
		return strconv.FormatInt(n, 10), nil
	}
	return strconv.FormatInt(pid, 10), nil
}

// strict rewrites a plain party id of role that must be mapped (FATE's
// host_id_mapping[int(x)]).
func (r *replacer) strict(pidText, role string) (string, error) {
	pid, ok := pyInt(pidText)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNotInteger, pidText)
	}
	n, err := r.lookup(role, pid)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(n, 10), nil
}

// pyInt parses s as Python's int() does for ASCII input: surrounding
// whitespace, an optional sign, digits with single '_' between them.
func pyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	digits := strings.ReplaceAll(s, "_", "")
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}
