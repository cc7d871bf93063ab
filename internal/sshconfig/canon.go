package sshconfig

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// canonSettings are the CanonicalizeHostname settings (ssh's defaults
// when not set: no, no domains, 1 dot, fall back to the name as given).
type canonSettings struct {
	mode       string // "", "no", "yes" or "always"
	domains    []string
	maxDots    int
	noFallback bool
}

// Resolve reports whether a fully qualified name (with its trailing dot)
// has an address in the DNS; CanonicalizeHostname uses it. Tests replace
// it.
var Resolve = func(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	return err == nil && len(addrs) > 0
}

// finalPass reads the files a second time, as ssh does, when a Match
// final asks for it or host names are canonicalized: the host name is
// then final (HostName applied, then canonicalized as
// CanonicalizeHostname says), Host lines match it, Match final and Match
// canonical hold, and the settings the first reading did not give are
// taken from the blocks that now match.
func (l *lookup) finalPass(files []File) error {
	host := l.currentHost()
	if net.ParseIP(host) == nil {
		host = strings.ToLower(host)
	}
	if m := l.canon.mode; m == "yes" || m == "always" {
		direct := l.s.ProxyJump == "" && l.s.ProxyCommand == ""
		if (direct || m == "always") && net.ParseIP(host) == nil {
			h, err := l.canonicalize(host)
			if err != nil {
				return err
			}
			host = h
		}
		l.wantFinal = true
	}
	if !l.wantFinal {
		return nil
	}
	l.final = true
	l.s.HostName, l.rawHostName, l.got["hostname"] = host, host, true
	return l.readAll(files)
}

// canonicalize is ssh's resolve_canonicalize: a name with a trailing dot
// is taken as it is if it resolves; a name with at most
// CanonicalizeMaxDots dots is tried with each CanonicalDomains suffix,
// and the first that resolves is the name. Otherwise the name stays as
// given, or, with CanonicalizeFallbackLocal no, is an error.
func (l *lookup) canonicalize(host string) (string, error) {
	if name, ok := strings.CutSuffix(host, "."); ok {
		if Resolve(host) {
			return name, nil
		}
	} else {
		maxDots := 1
		if l.got["canonicalizemaxdots"] {
			maxDots = l.canon.maxDots
		}
		if strings.Count(host, ".") > maxDots {
			return host, nil
		}
		for _, d := range l.canon.domains {
			if strings.EqualFold(d, "none") {
				break
			}
			if full := host + "." + d; Resolve(full + ".") {
				return full, nil
			}
		}
	}
	if l.canon.noFallback {
		return "", fmt.Errorf("could not resolve host %q with CanonicalDomains %s (CanonicalizeFallbackLocal no)",
			host, strings.Join(l.canon.domains, " "))
	}
	return host, nil
}
