package sshconfig

import (
	"errors"
	"strings"
)

// splitLine splits one configuration line into its keyword (lower case)
// and arguments. The keyword may be followed by whitespace or by one '='
// with optional whitespace around it. Arguments are separated by
// whitespace; double or single quotes keep spaces in one argument, a
// backslash escapes a quote, a backslash or a space, and an unquoted '#'
// at the start of an argument begins a comment. A blank or comment line
// has no keyword.
func splitLine(line string) (key string, args []string, err error) {
	line = strings.TrimLeft(line, " \t\r")
	if line == "" || line[0] == '#' {
		return "", nil, nil
	}
	end := strings.IndexAny(line, " \t\r=")
	if end < 0 {
		return strings.ToLower(line), nil, nil
	}
	key, rest := strings.ToLower(line[:end]), strings.TrimLeft(line[end:], " \t\r")
	if strings.HasPrefix(rest, "=") {
		rest = rest[1:]
	}
	for {
		rest = strings.TrimLeft(rest, " \t\r")
		if rest == "" || rest[0] == '#' {
			return key, args, nil
		}
		var arg string
		if arg, rest, err = nextArg(rest); err != nil {
			return "", nil, err
		}
		args = append(args, arg)
	}
}

// nextArg takes one argument off the front of s (which starts with a
// non-blank character).
func nextArg(s string) (arg, rest string, err error) {
	var b strings.Builder
	var quote byte
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`\"' `, s[i+1]) >= 0:
			i++
			b.WriteByte(s[i])
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == ' ' || c == '\t' || c == '\r':
			return b.String(), s[i:], nil
		default:
			b.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", "", errors.New("unterminated quote")
	}
	return b.String(), "", nil
}

// rawValue is the rest of a line after its keyword, as ssh keeps it for
// ProxyCommand and KnownHostsCommand: the blanks and '=' after the
// keyword and the blanks at the end dropped, quotes, backslashes and '#'
// left for the command's own splitting.
func rawValue(line string) string {
	line = strings.TrimLeft(line, " \t\r")
	end := strings.IndexAny(line, " \t\r=")
	if end < 0 {
		return ""
	}
	return strings.TrimRight(strings.TrimLeft(line[end:], " \t\r="), " \t\r\f")
}
