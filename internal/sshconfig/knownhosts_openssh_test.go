package sshconfig_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/internal/sshconfig"
)

// TestKnownHostsAgainstSSHKeygen compares which lines of a known_hosts
// file apply to a name (and with which marker) with OpenSSH's own answer,
// `ssh-keygen -F NAME -f FILE`, on files drawn at random (fixed seed)
// from the patterns, negations, ports and markers known_hosts holds.
// PLANRUN_KNOWNHOSTS_CASES=N runs N files instead of 60.
func TestKnownHostsAgainstSSHKeygen(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("SKIP: no ssh-keygen to compare with (apt-get install openssh-client)")
	}
	n := 60
	if v, err := strconv.Atoi(os.Getenv("PLANRUN_KNOWNHOSTS_CASES")); err == nil {
		n = v
	}
	key := keyText(newKey(t).PublicKey())
	rnd := rand.New(rand.NewPCG(11, uint64(n)))
	pick := func(xs ...string) string { return xs[rnd.IntN(len(xs))] }
	names := []string{"a", "ab", "fate-1", "10.0.0.5", "h.example", "[h.example]:2222", "[10.0.0.5]:22", "[a]:2022"}
	found := regexp.MustCompile(`^# Host \S+ found: line (\d+) ?(CA|REVOKED)?`)
	for i := range n {
		var lines []string
		for range 2 + rnd.IntN(5) {
			var ps []string
			for range 1 + rnd.IntN(3) {
				p := pick("a", "a*", "?b", "*", "fate-?", "10.0.0.*", "H.Example", "*.example",
					"[h.example]:2222", "[h.example]:*", "[*]:2022", "[a]:2022", "A*", "[10.0.0.5]:22")
				if rnd.IntN(4) == 0 {
					p = "!" + p
				}
				ps = append(ps, p)
			}
			marker := pick("", "", "", "@cert-authority ", "@revoked ")
			lines = append(lines, marker+strings.Join(ps, ",")+" "+key)
		}
		text := strings.Join(lines, "\n") + "\n"
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := sshconfig.ReadKnownHosts(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				out, _ := exec.Command(keygen, "-F", name, "-f", file).Output()
				var want []string
				for _, l := range strings.Split(string(out), "\n") {
					if m := found.FindStringSubmatch(l); m != nil {
						want = append(want, m[1]+" "+m[2])
					}
				}
				var got []string
				for _, k := range db.Lookup(name) {
					got = append(got, fmt.Sprintf("%d %s", k.Line, map[sshconfig.Marker]string{
						sshconfig.CertAuthority: "CA", sshconfig.Revoked: "REVOKED"}[k.Marker]))
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s in\n%s(-ssh-keygen -F +Lookup):\n%s", name, text, d)
				}
			}
		})
	}
}
