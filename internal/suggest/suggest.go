package suggest

import (
	"fmt"
	"strings"
)

// Closest returns the candidate name most likely meant, if any is close
// enough (see the package documentation).
func Closest(name string, candidates []string) (string, bool) {
	best, bestD, tie := "", -1, false
	lname := strings.ToLower(name)
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := distance(lname, strings.ToLower(c))
		if d > limit(name, c) {
			continue
		}
		switch {
		case bestD < 0 || d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD && c != best:
			tie = true
		}
	}
	if bestD < 0 || tie {
		return "", false
	}
	return best, true
}

// Hint is ` (did you mean "x"?)` for the closest candidate, or "".
func Hint(name string, candidates []string) string {
	if c, ok := Closest(name, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// Prefix is `did you mean "x"? ` for the closest candidate, or "": for a
// message that goes on to list the candidates in parentheses.
func Prefix(name string, candidates []string) string {
	if c, ok := Closest(name, candidates); ok {
		return fmt.Sprintf("did you mean %q? ", c)
	}
	return ""
}

// limit is the largest distance at which c is still suggested for name.
func limit(name, c string) int {
	if min(len([]rune(name)), len([]rune(c))) <= 4 {
		return 1
	}
	return 2
}

// distance is the optimal string alignment distance between a and b:
// the edits (insert, delete, substitute, swap adjacent) that turn a into b.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// d[i][j]: distance between s[:i] and t[:j]; three rows suffice.
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
