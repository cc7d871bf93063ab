package sshconfig

import "strings"

// match reports whether s matches pattern, where '*' stands for any run
// of characters and '?' for any one (ssh_config(5) PATTERNS); all other
// characters stand for themselves.
func match(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // the last '*' seen in pattern, and where in s it took over
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			// Let the last '*' swallow one more character and try again.
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchList matches s against a comma-separated pattern list in which a
// pattern may be negated with '!': false when a negated pattern matches,
// else true when any other does. With fold, letter case is ignored (host
// names).
func matchList(list, s string, fold bool) bool {
	if fold {
		list, s = strings.ToLower(list), strings.ToLower(s)
	}
	return matchPatterns(strings.Split(list, ","), s)
}

// matchPatterns is matchList's verdict over patterns already apart (a
// Host line's words, which are not split at commas).
func matchPatterns(patterns []string, s string) bool {
	found := false
	for _, pat := range patterns {
		if neg, ok := strings.CutPrefix(pat, "!"); ok {
			if match(neg, s) {
				return false
			}
		} else if match(pat, s) {
			found = true
		}
	}
	return found
}
