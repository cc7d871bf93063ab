package flow

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	h1RE    = regexp.MustCompile(`(?is)<h1[^>]*>(.*?)</h1>`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// summarize describes a non-JSON answer in one short line: an HTML page by
// its title (or first heading), anything else by its first printable text.
func summarize(ctype string, body []byte) string {
	s := string(body)
	isHTML := strings.Contains(strings.ToLower(ctype), "html") ||
		strings.Contains(strings.ToLower(s[:min(len(s), 512)]), "<html")
	if isHTML {
		for _, re := range []*regexp.Regexp{titleRE, h1RE} {
			if m := re.FindStringSubmatch(s); m != nil {
				if t := clip(oneLine(tagRE.ReplaceAllString(m[1], ""))); t != "" {
					return "HTML page: " + t
				}
			}
		}
		return "HTML page: " + clip(oneLine(tagRE.ReplaceAllString(s, " ")))
	}
	if len(body) == 0 {
		return "empty answer, not JSON"
	}
	what := "answer is not JSON"
	if t := clip(oneLine(ctype)); t != "" { // a header: the server's own bytes
		what = fmt.Sprintf("answer is not JSON (%s)", t)
	}
	return what + ": " + clip(oneLine(s))
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError {
			return -1 // an invalid byte (or U+FFFD itself)
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func clip(s string) string {
	const n = 120
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
