package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// DecodeFrozen decodes b, a plan as a run froze it (json.Marshal of the
// Plan, kept in the state directory), and checks that it is the plan the
// run froze and one Load could have made. A state directory may come from
// elsewhere (a CI artifact), and resume runs what it holds:
//
//   - the recorded Hash must be the hash of the content (ComputeHash), so
//     a step edited in the file, or damage, does not go unnoticed;
//   - step ids follow Load's rules: a name (letters, digits, '_' and '-'),
//     or NAME[KEY] for the item KEY of a batch, with the batch and item
//     recorded; no id twice; needs name steps of the plan, without cycles.
//
// The hash shows that the file changed, not who changed it: anyone can
// compute it again. It does not make a state from elsewhere trustworthy;
// the id rules keep ids, which become paths under the run's work
// directory, from leaving it.
//
// Plans frozen by earlier planruns pass as they were written: the hash
// was once taken without the trailing newline the encoder now adds, and
// text that was not valid UTF-8 when the plan was loaded (a CSV in
// Latin-1) is kept as U+FFFD, which the file writes as the escape \ufffd
// and the hash took as it was written (see hashMatches).
func DecodeFrozen(b []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	if err := p.checkFrozenHash(b); err != nil {
		return nil, err
	}
	if err := p.checkFrozenSteps(); err != nil {
		return nil, err
	}
	return &p, nil
}

// checkFrozenHash recomputes the hash of p, decoded from raw.
func (p *Plan) checkFrozenHash(raw []byte) error {
	if p.Hash == "" {
		return fmt.Errorf("no hash recorded")
	}
	var buf bytes.Buffer
	if err := p.encodeHashed(&buf); err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	if hashMatches(buf.Bytes(), p.Hash) {
		return nil
	}
	// json.Marshal writes each byte of text that is not UTF-8 as the
	// escape \ufffd, and decoding gives the character U+FFFD, which is
	// encoded as itself: the hash Load took holds the escape. (A plan
	// that holds the character itself as well as such text cannot be
	// told apart: it does not pass.)
	if bytes.Contains(raw, []byte(`\ufffd`)) &&
		hashMatches(bytes.ReplaceAll(buf.Bytes(), []byte("\uFFFD"), []byte(`\ufffd`)), p.Hash) {
		return nil
	}
	return fmt.Errorf("its content does not match its hash (recorded %s, content %s): it was changed after the run recorded it",
		short(p.Hash), short(p.ComputeHash()))
}

// hashMatches reports whether hash is the hash of enc, what encodeHashed
// wrote, or of enc without its trailing newline: until 2026-11-25 the
// hash was taken over json.Marshal, which adds none.
func hashMatches(enc []byte, hash string) bool {
	if sum := sha256.Sum256(enc); hex.EncodeToString(sum[:]) == hash {
		return true
	}
	sum := sha256.Sum256(bytes.TrimSuffix(enc, []byte("\n")))
	return hex.EncodeToString(sum[:]) == hash
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// checkFrozenSteps checks the steps' ids, needs and graph as Load does.
func (p *Plan) checkFrozenSteps() error {
	var probs []string
	ids := make(map[string]bool, len(p.Steps))
	for i, s := range p.Steps {
		switch {
		case s == nil:
			probs = append(probs, fmt.Sprintf("step %d is empty", i+1))
			continue
		case !frozenID(s):
			probs = append(probs, fmt.Sprintf("step %d: %q is not a step id (want a name of letters, digits, '_' and '-', "+
				"or NAME[KEY] for an item of a batch)", i+1, s.ID))
		case ids[s.ID]:
			probs = append(probs, fmt.Sprintf("duplicate step id %q", s.ID))
		}
		ids[s.ID] = true
	}
	for _, s := range p.Steps {
		if s == nil {
			continue
		}
		for _, n := range s.Needs {
			if !ids[n] {
				probs = append(probs, fmt.Sprintf("step %q needs %q, which is not a step of the plan", s.ID, n))
			}
		}
	}
	if len(probs) == 0 {
		for _, cyc := range p.Graph().Cycles() {
			probs = append(probs, "dependency cycle: "+strings.Join(cyc, " -> "))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	if n := len(probs); n > 5 {
		probs = append(probs[:5], fmt.Sprintf("and %d more", n-5))
	}
	return fmt.Errorf("%s", strings.Join(probs, "; "))
}

// frozenID reports whether s's id is one Load could have given it: a
// name, or for a batch's copy NAME[KEY] with its batch (a name) and its
// item KEY recorded. Braces in KEY are accepted: Load took them until
// 2026-11-25 (before expressions ruled them out), and runs frozen then
// keep them; brackets and line breaks never were.
func frozenID(s *Step) bool {
	if s.Batch == "" {
		return s.Item == "" && isName(s.ID)
	}
	tmpl, ok := strings.CutSuffix(s.ID, "["+s.Item+"]")
	return ok && isName(tmpl) && isName(s.Batch) && s.Item != "" && !strings.ContainsAny(s.Item, itemKeyBreaks)
}
