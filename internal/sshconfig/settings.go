package sshconfig

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// taken are the keywords whose values planrun takes (ssh's others are
// read for their form only).
var taken = setOf("hostname", "user", "port", "identityfile", "userknownhostsfile",
	"globalknownhostsfile", "proxyjump", "proxycommand", "connecttimeout",
	"identityagent", "identitiesonly", "certificatefile", "hostkeyalias",
	"serveraliveinterval", "serveralivecountmax", "refuseconnection",
	"canonicalizehostname", "canonicaldomains", "canonicalizemaxdots", "canonicalizefallbacklocal", "tag",
	"proxyusefdpass", "knownhostscommand")

// set checks a setting's value, as ssh does on every line whether it
// applies or not, and, when it applies (active), records it unless an
// earlier line already did (key and certificate files add up).
func (l *lookup) set(key string, args []string, at string, active bool) error {
	if key == "identityfile2" {
		key = "identityfile" // its old name, still accepted by ssh
	}
	if !taken[key] {
		return nil
	}
	v, err := checkValue(key, args[0], at)
	if err != nil || !active {
		return err
	}
	switch key {
	case "identityfile":
		l.idents = addRaw(l.idents, raw{args[0], at})
		return nil
	case "certificatefile":
		l.certs = addRaw(l.certs, raw{args[0], at})
		return nil
	}
	// Of ProxyJump and ProxyCommand, ssh (9.2, as tested) takes the
	// first; but a ProxyJump none gives way to a later ProxyCommand.
	if l.got[key] || key == "proxyjump" && l.got["proxycommand"] || key == "proxycommand" && l.s.ProxyJump != "" {
		return nil
	}
	l.got[key] = true
	switch key {
	case "hostname":
		h, err := expandHostName(args[0], l.q.Host)
		if err != nil {
			return fmt.Errorf("%s: HostName: %w", at, err)
		}
		l.s.HostName, l.rawHostName = strings.ToLower(h), h // lower case as ssh has it in the end
	case "user":
		l.s.User = args[0]
	case "hostkeyalias":
		l.s.HostKeyAlias, l.rawAlias = strings.ToLower(args[0]), args[0] // likewise
	case "port":
		l.s.Port = args[0]
	case "userknownhostsfile":
		for _, a := range args {
			l.known = append(l.known, raw{a, at})
		}
	case "globalknownhostsfile":
		for _, a := range args {
			l.global = append(l.global, raw{a, at})
		}
	case "proxyjump":
		if !strings.EqualFold(args[0], "none") {
			l.s.ProxyJump = args[0]
		}
	case "proxycommand":
		if !strings.EqualFold(args[0], "none") {
			l.s.ProxyCommand, l.s.ProxyCommandAt = args[0], at
		}
	case "proxyusefdpass":
		l.s.ProxyUseFdpass = v.(bool)
	case "knownhostscommand":
		if !strings.EqualFold(args[0], "none") {
			l.khCommand = &raw{args[0], at}
		}
	case "identityagent":
		l.agent = &raw{args[0], at}
	case "identitiesonly":
		l.s.IdentitiesOnly = v.(bool)
	case "refuseconnection":
		if v.(bool) {
			l.s.RefuseConnection = at
		}
	case "serveraliveinterval":
		l.s.ServerAliveInterval = v.(time.Duration)
	case "serveralivecountmax":
		l.s.ServerAliveCountMax = v.(int)
	case "connecttimeout":
		l.s.ConnectTimeout = v.(time.Duration)
		// "none" (0) leaves it unset in ssh: a later line may still set it.
		l.got[key] = l.s.ConnectTimeout != 0
	case "tag":
		l.tag = args[0]
	case "canonicalizehostname":
		l.canon.mode = v.(string)
	case "canonicaldomains":
		l.canon.domains = args
	case "canonicalizemaxdots":
		l.canon.maxDots = v.(int)
	case "canonicalizefallbacklocal":
		l.canon.noFallback = !v.(bool)
	}
	return nil
}

// checkValue checks a setting's first argument and returns it parsed
// (bool, int, time.Duration, or the canonicalization mode; nil for the
// settings that take any string).
func checkValue(key, arg, at string) (any, error) {
	bad := func(name, want string) error { return fmt.Errorf("%s: bad %s %q (want %s)", at, name, arg, want) }
	switch key {
	case "port":
		if n, err := strconv.Atoi(arg); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s: bad Port %q", at, arg)
		}
	case "identitiesonly", "refuseconnection", "canonicalizefallbacklocal", "proxyusefdpass":
		on, ok := parseYesNo(arg)
		if !ok {
			return nil, bad(flagNames[key], "yes or no")
		}
		return on, nil
	case "serveraliveinterval", "connecttimeout":
		d, ok := parseTime(arg) // "none" is 0
		if !ok {
			return nil, bad(flagNames[key], "a time such as 30 or 1m")
		}
		return d, nil
	case "serveralivecountmax", "canonicalizemaxdots":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return nil, bad(flagNames[key], "a number")
		}
		return n, nil
	case "canonicalizehostname":
		switch v := strings.ToLower(arg); v {
		case "yes", "true":
			return "yes", nil
		case "always":
			return "always", nil
		case "no", "false":
			return "no", nil
		}
		return nil, bad("CanonicalizeHostname", "yes, no or always")
	}
	return nil, nil
}

// flagNames are the names of the settings checkValue checks, as the
// manual writes them.
var flagNames = map[string]string{
	"identitiesonly": "IdentitiesOnly", "refuseconnection": "RefuseConnection", "proxyusefdpass": "ProxyUseFdpass",
	"canonicalizefallbacklocal": "CanonicalizeFallbackLocal", "serveraliveinterval": "ServerAliveInterval",
	"connecttimeout": "ConnectTimeout", "serveralivecountmax": "ServerAliveCountMax",
	"canonicalizemaxdots": "CanonicalizeMaxDots",
}
