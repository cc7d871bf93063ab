package sshconfig

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// match is a Match line's verdict: every criterion holds (each may be
// negated with '!'). Criteria after one that fails are checked for form
// only, as in ssh (exec is not run), so a criterion planrun cannot decide
// (command, sessiontype, version) is an error only when it would be
// decided.
//
// With never (a file included where it does not apply), no criterion is
// decided: the line is read for its form and for a Match final.
func (l *lookup) match(args []string, at string, never bool) (bool, error) {
	if len(args) == 0 {
		return false, fmt.Errorf("%s: Match needs criteria", at)
	}
	result, attrs := !never, 0
	for i := 0; i < len(args); i++ {
		c, neg := strings.CutPrefix(strings.ToLower(args[i]), "!")
		// OpenSSH 10 also takes "host=PATTERN" for "host PATTERN".
		if k, _, ok := strings.Cut(c, "="); ok && eqCriteria[k] {
			_, v, _ := strings.Cut(args[i], "=")
			c, args = k, slices.Insert(slices.Clone(args), i+1, v)
		}
		if c != "all" {
			attrs++
		}
		var ok bool
		switch c {
		case "all":
			// As in ssh: all stands alone (or last, after one other).
			if attrs > 1 || i+1 < len(args) {
				return false, fmt.Errorf("%s: Match all cannot be combined with other criteria", at)
			}
			ok = true
		case "final", "canonical":
			// True in the second reading of the files (see finalPass),
			// which a Match final asks for.
			ok = l.final
			l.wantFinal = l.wantFinal || c == "final" && !neg
		case "host", "originalhost", "user", "localuser", "tagged", "exec", "localnetwork",
			"command", "sessiontype", "version": // the last three: OpenSSH 10
			if i+1 >= len(args) {
				return false, fmt.Errorf("%s: Match %s needs an argument", at, c)
			}
			i++
			arg := args[i]
			if c == "exec" {
				// Its tokens are expanded even when it is not run, as
				// in ssh: a bad one is an error either way.
				var err error
				if arg, err = expandTokens(arg, l.execTokens()); err != nil {
					return false, fmt.Errorf("%s: Match exec %s: %w", at, args[i], err)
				}
			}
			if !result {
				continue
			}
			var err error
			if ok, err = l.criterion(c, arg); err != nil {
				return false, fmt.Errorf("%s: %w", at, err)
			}
		default:
			return false, fmt.Errorf("%s: unknown Match criterion %q", at, args[i])
		}
		if ok == neg {
			result = false
		}
	}
	return result, nil
}

// eqCriteria are the Match criteria OpenSSH 10 also takes as name=value.
var eqCriteria = setOf("host", "originalhost", "user", "localuser", "localnetwork", "version", "tagged", "command", "exec")

func (l *lookup) criterion(c, arg string) (bool, error) {
	switch c {
	case "host":
		return matchList(arg, l.currentHost(), true), nil
	case "originalhost":
		return matchList(arg, l.q.Host, true), nil
	case "user":
		return matchList(arg, l.currentUser(), false), nil
	case "localuser":
		return matchList(arg, l.localUser, false), nil
	case "tagged":
		// The Tag set so far (planrun has no ssh -P); an empty pattern
		// matches no tag.
		if l.tag == "" {
			return arg == "", nil
		}
		return matchList(arg, l.tag, false), nil
	case "localnetwork":
		return localNetwork(arg)
	case "exec": // arg: the command, tokens expanded
		return runMatchExec(arg)
	}
	return false, fmt.Errorf("Match %s is not supported: planrun's connection to a host is "+
		"shared by all its commands and has no ssh version to compare "+
		"(give the host's settings in the plan's hosts:, or set ssh_config: none)", c)
}

// execTokens are Match exec's tokens: those of paths, with the host as
// the lines read so far give it and %k its HostKeyAlias, else that host,
// each in the letter case it was written in (ssh lower-cases them only
// later).
func (l *lookup) execTokens() map[byte]string {
	host := cmp.Or(l.rawHostName, l.q.Host)
	t := l.tokens(host)
	t['k'] = cmp.Or(l.rawAlias, host)
	return t
}

// runMatchExec runs a Match exec command as ssh does: with the user's
// shell ($SHELL, else /bin/sh), standard input and output on /dev/null,
// standard error passed on. It holds when the command exits 0.
func runMatchExec(cmd string) (bool, error) {
	shell := cmp.Or(os.Getenv("SHELL"), "/bin/sh")
	c := exec.Command(shell, "-c", cmd)
	c.Stderr = os.Stderr
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.Exited():
		return false, nil
	case errors.As(err, &ee):
		return false, fmt.Errorf("Match exec %s: %s", cmd, ee.ProcessState)
	}
	return false, fmt.Errorf("Match exec %s: shell %s: %w", cmd, shell, err)
}

// interfaceAddrs are this machine's addresses on interfaces that are up.
func interfaceAddrs() ([]net.IP, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ips = append(ips, n.IP)
			}
		}
	}
	return ips, nil
}

// localNetwork is Match localnetwork: whether an address of an interface
// that is up lies in one of the comma-separated networks (CIDR, or a
// single address).
func localNetwork(list string) (bool, error) {
	var nets []*net.IPNet
	for _, e := range strings.Split(list, ",") {
		if !strings.Contains(e, "/") {
			ip := net.ParseIP(e)
			if ip == nil {
				return false, fmt.Errorf("Match localnetwork: bad network %q", e)
			}
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			e = fmt.Sprintf("%s/%d", ip, bits)
		}
		_, n, err := net.ParseCIDR(e)
		if err != nil {
			return false, fmt.Errorf("Match localnetwork: bad network %q", e)
		}
		nets = append(nets, n)
	}
	ips, err := interfaceAddrs()
	if err != nil {
		return false, fmt.Errorf("Match localnetwork: %w", err)
	}
	for _, ip := range ips {
		for _, n := range nets {
			if n.Contains(ip) {
				return true, nil
			}
		}
	}
	return false, nil
}
