package sample

import (
	"bytes"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"

	"google.golang.org/protobuf/proto"
)

// buffer is one model buffer of a component: a message, or encoded parts
// to be written one after the other (SecureBoost params are built on the
// wire directly, and are too big to join needlessly).
type buffer struct {
	name, class string
	msg         proto.Message
	parts       [][]byte
}

// component is one component of one party's model.
type component struct {
	name, module, alias string
	buffers             []buffer // Meta first, then Param, as FATE lists them
	params              obj      // run_parameters.json
}

// world is what every party's model is built from.
type world struct {
	o        Options
	minor    int // FATE minor version
	guest    Party
	hosts    []Party
	arbiters []Party
}

func newWorld(o Options) *world {
	_, minor, _ := majorMinor(o.FATEVersion)
	w := &world{o: o, minor: minor}
	for _, p := range o.Parties {
		switch p.Role {
		case "guest":
			w.guest = p
		case "host":
			w.hosts = append(w.hosts, p)
		default:
			w.arbiters = append(w.arbiters, p)
		}
	}
	return w
}

// rng is a generator for one party and component, so that one component's
// numbers never depend on what else is written.
func (w *world) rng(p Party, cpn string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(p.String() + "/" + cpn))
	return rand.New(rand.NewPCG(w.o.Seed, h.Sum64()))
}

// features is how many columns a party has: the guest 10, hosts 20 (as in
// FATE's breast_hetero examples).
func (w *world) features(p Party) int {
	if p.Role == "guest" {
		return 10
	}
	return 20
}

// header is a party's column names.
func (w *world) header(p Party) []string {
	h := make([]string, w.features(p))
	for i := range h {
		h[i] = "x" + strconv.Itoa(i)
	}
	return h
}

// anon is a party's anonymous name of column i: "role_pid_x<i>" from 1.9,
// "role_pid_<i>" before.
func (w *world) anon(p Party, i int) string {
	pre := p.Role + "_" + strconv.FormatInt(p.ID, 10) + "_"
	if w.minor >= 9 {
		return pre + "x" + strconv.Itoa(i)
	}
	return pre + strconv.Itoa(i)
}

func (w *world) anonHeader(p Party) []string {
	h := make([]string, w.features(p))
	for i := range h {
		h[i] = w.anon(p, i)
	}
	return h
}

// round keeps n decimal digits, as values read back from FATE's floats look.
func round(f float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(f*p) / p
}

func pid(p Party) string { return strconv.FormatInt(p.ID, 10) }

// bytes returns the encoded buffer (joining the parts).
func (b buffer) bytes() []byte {
	if b.msg != nil {
		return mustMarshal(b.msg)
	}
	return bytes.Join(b.parts, nil)
}
