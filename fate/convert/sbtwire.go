package convert

import (
	"fmt"
	"unicode/utf8"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rewriteSBT converts a BoostingTreeModelParam without decoding its trees,
// which are nearly all of a big model: every field but trees_ (2) is
// decoded and converted by convertSBT; in each tree only the nodes'
// sitename (trees_[].tree_[].sitename, NodeParam field 2) is rewritten and
// every other byte of the tree is copied as it is. The result decodes to
// the same message the decode-convert-encode path gives; fields other than
// the trees are in deterministic order, the trees keep their own encoding.
// When nothing changes, b itself is returned.
func rewriteSBT(b []byte, r *replacer) ([]byte, error) {
	var rest []byte
	var trees [][]byte
	for in := b; len(in) > 0; {
		num, typ, n := protowire.ConsumeTag(in)
		if n < 0 {
			return nil, fmt.Errorf("%w as BoostingTreeModelParam: %v", ErrDecode, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, in[n:])
		if m < 0 {
			return nil, fmt.Errorf("%w as BoostingTreeModelParam: field %d: %v", ErrDecode, num, protowire.ParseError(m))
		}
		if num == 2 && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(in[n:])
			trees = append(trees, v)
		} else {
			rest = append(rest, in[:n+m]...)
		}
		in = in[n+m:]
	}
	p := new(pb.BoostingTreeModelParam)
	if err := proto.Unmarshal(rest, p); err != nil {
		return nil, fmt.Errorf("%w as BoostingTreeModelParam: %v", ErrDecode, err)
	}
	if err := convertSBT(p, r); err != nil {
		return nil, err
	}
	t := treeWriter{r: r}
	if len(trees) > 0 {
		t.out = make([]byte, 0, len(b)+len(b)/16)
	}
	for i, tree := range trees {
		if err := t.addTree(i, tree); err != nil {
			return nil, err
		}
	}
	if !r.changed {
		return b, nil
	}
	head, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	// tree_num (field 1) comes before the trees, everything else after.
	split := 0
	if num, typ, n := protowire.ConsumeTag(head); n > 0 && num == 1 {
		split = n + protowire.ConsumeFieldValue(num, typ, head[n:])
	}
	out := make([]byte, 0, len(head)+len(t.out))
	out = append(out, head[:split]...)
	out = append(out, t.out...)
	return append(out, head[split:]...), nil
}

// treeWriter re-encodes trees one after the other into out.
type treeWriter struct {
	r    *replacer
	out  []byte // encoded trees_ fields
	buf  []byte // scratch: one tree
	node []byte // scratch: one node
}

func (t *treeWriter) addTree(i int, b []byte) error {
	t.buf = t.buf[:0]
	j := 0
	for in := b; len(in) > 0; {
		num, typ, n := protowire.ConsumeTag(in)
		if n < 0 {
			return atField(fmt.Errorf("%w: %v", ErrDecode, protowire.ParseError(n)), fmt.Sprintf("trees_[%d]", i), "")
		}
		m := protowire.ConsumeFieldValue(num, typ, in[n:])
		if m < 0 {
			return atField(fmt.Errorf("%w: %v", ErrDecode, protowire.ParseError(m)), fmt.Sprintf("trees_[%d]", i), "")
		}
		if num == 1 && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(in[n:])
			if err := t.nodeParam(i, j, v, in[:n+m]); err != nil {
				return err
			}
			j++
		} else {
			t.buf = append(t.buf, in[:n+m]...)
		}
		in = in[n+m:]
	}
	t.out = protowire.AppendTag(t.out, 2, protowire.BytesType)
	t.out = protowire.AppendBytes(t.out, t.buf)
	return nil
}

// nodeParam appends one node (whole is its field with tag), with its
// sitename rewritten.
func (t *treeWriter) nodeParam(i, j int, b, whole []byte) error {
	var site []byte
	at := -1
	for in, off := b, 0; len(in) > 0; {
		num, typ, n := protowire.ConsumeTag(in)
		if n < 0 {
			return atField(fmt.Errorf("%w: %v", ErrDecode, protowire.ParseError(n)), fmt.Sprintf("trees_[%d].tree_[%d]", i, j), "")
		}
		m := protowire.ConsumeFieldValue(num, typ, in[n:])
		if m < 0 {
			return atField(fmt.Errorf("%w: %v", ErrDecode, protowire.ParseError(m)), fmt.Sprintf("trees_[%d].tree_[%d]", i, j), "")
		}
		if num == 2 && typ == protowire.BytesType {
			site, _ = protowire.ConsumeBytes(in[n:])
			at = off
			if !utf8.Valid(site) {
				return atField(fmt.Errorf("%w: invalid UTF-8", ErrDecode), fmt.Sprintf("trees_[%d].tree_[%d].sitename", i, j), "")
			}
		}
		in = in[n+m:]
		off += n + m
	}
	if at < 0 {
		t.buf = append(t.buf, whole...)
		return nil
	}
	nv, ok := t.r.colons[string(site)]
	if !ok {
		var err error
		if nv, err = t.r.replace(string(site)); err != nil {
			return atField(err, fmt.Sprintf("trees_[%d].tree_[%d].sitename", i, j), string(site))
		}
	}
	if nv == string(site) {
		t.buf = append(t.buf, whole...)
		return nil
	}
	t.r.changed = true
	// Copy the node with the one sitename field replaced (a repeated
	// sitename field would be last-one-wins; only the last is rewritten).
	tagLen := protowire.SizeTag(2)
	fieldLen := tagLen + protowire.SizeBytes(len(site))
	t.node = append(t.node[:0], b[:at]...)
	t.node = protowire.AppendTag(t.node, 2, protowire.BytesType)
	t.node = protowire.AppendString(t.node, nv)
	t.node = append(t.node, b[at+fieldLen:]...)
	t.buf = protowire.AppendTag(t.buf, 1, protowire.BytesType)
	t.buf = protowire.AppendBytes(t.buf, t.node)
	return nil
}
