package redact

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestString(t *testing.T) {
	tests := map[string]struct {
		secrets []string
		in      string
		want    string
	}{
		"no secrets":            {nil, "password hunter22", "password hunter22"},
		"one occurrence":        {[]string{"hunter22"}, "password hunter22 ok", "password *** ok"},
		"every occurrence":      {[]string{"tok3n"}, "tok3ntok3n and tok3n", "*** and ***"},
		"short secret ignored":  {[]string{"abc", "", "x"}, "abc x", "abc x"},
		"exactly MinLen":        {[]string{"abcd"}, "xabcdx", "x***x"},
		"longest wins":          {[]string{"pass", "password1"}, "password1 pass", "*** ***"},
		"overlapping collapse":  {[]string{"abcdef", "defghi"}, "xabcdefghiy", "x***y"},
		"duplicates":            {[]string{"s3cret", "s3cret"}, "a s3cret", "a ***"},
		"multi-line":            {[]string{"line1\nline2"}, "k=line1\nline2;", "k=***;"},
		"unicode":               {[]string{"pässwörd"}, "pw: pässwörd!", "pw: ***!"},
		"self-overlapping runs": {[]string{"aaaa"}, "baaaaaab", "b***b"},
		"html-escaped json":     {[]string{"p<ss&w0rd>42"}, `{"tok":"p\u003css\u0026w0rd\u003e42"}`, `{"tok":"***"}`},
		"json quote escaped":    {[]string{`say "hi"!`}, `{"k": "say \"hi\"!"}`, `{"k": "***"}`},
		"json backslash":        {[]string{`C:\pw1`}, `"C:\\pw1"`, `"***"`},
		"json newline":          {[]string{"two\nlines"}, `"two\nlines" or two` + "\n" + `lines`, `"***" or ***`},
		"json ascii-only":       {[]string{"pässwörd"}, `{"pw": "p\u00e4ssw\u00f6rd"}`, `{"pw": "***"}`},
		"json surrogate pair":   {[]string{"key🔑key"}, `"key\ud83d\udd11key"`, `"***"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := New(tc.secrets...).String(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("String(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestCut: text cut before it was redacted keeps no piece of a secret of
// MinLen bytes or more at the cut edges, and Cut redacts whole secrets too.
func TestCut(t *testing.T) {
	r := New("hunter2222secretX", "abcdefgh")
	tests := map[string]struct {
		in         string
		start, end bool
		edges, cut string // want from Edges and from Cut
	}{
		"tail cut inside a secret":  {"r2222secretX and more", true, false, "*** and more", "*** and more"},
		"head cut inside a secret":  {"and then hunter22", false, true, "and then ***", "and then ***"},
		"both edges":                {"efgh mid hunt", true, true, "*** mid ***", "*** mid ***"},
		"inside one secret":         {"2222secr", true, true, "***", "***"},
		"piece below MinLen kept":   {"tX and more", true, false, "tX and more", "tX and more"},
		"exactly MinLen masked":     {"retX and more", true, false, "*** and more", "*** and more"},
		"edge not cut":              {"r2222secretX and more", false, false, "r2222secretX and more", "r2222secretX and more"},
		"start cut, end not":        {"and hunter22", true, false, "and hunter22", "and hunter22"},
		"longest piece wins":        {"efghabcdefgh", true, false, "***abcdefgh", "***"},
		"piece then whole secret":   {"secretX hunter2222secretX", true, false, "*** hunter2222secretX", "*** ***"},
		"piece touching a secret":   {"defghabcdefgh!", true, false, "***abcdefgh!", "***!"},
		"no piece, secret inside":   {"zz abcdefgh zz", true, true, "zz abcdefgh zz", "zz *** zz"},
		"empty":                     {"", true, true, "", ""},
		"whole text shorter than 4": {"tX", true, true, "tX", "tX"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.edges, r.Edges(tc.in, tc.start, tc.end)); diff != "" {
				t.Errorf("Edges(%q, %v, %v) mismatch (-want +got):\n%s", tc.in, tc.start, tc.end, diff)
			}
			if diff := cmp.Diff(tc.cut, r.Cut(tc.in, tc.start, tc.end)); diff != "" {
				t.Errorf("Cut(%q, %v, %v) mismatch (-want +got):\n%s", tc.in, tc.start, tc.end, diff)
			}
		})
	}
}

// TestCutProperty: wherever a text holding secrets is cut, Cut of the
// piece shows no MinLen bytes of a secret (a piece lying inside a
// secret included).
func TestCutProperty(t *testing.T) {
	secrets := []string{"hunter2222secretX", "tok-XYZW-123", "p@ss"}
	r := New(secrets...)
	text := "log: " + secrets[0] + " then " + secrets[1] + secrets[0] + " and " + secrets[2] + " end"
	for i := 0; i <= len(text); i++ {
		for j := i; j <= len(text); j++ {
			got := r.Cut(text[i:j], i > 0, j < len(text))
			for _, sec := range secrets {
				for k := 0; k+MinLen <= len(sec); k++ {
					if piece := sec[k : k+MinLen]; strings.Contains(got, piece) {
						t.Fatalf("Cut(text[%d:%d]) = %q holds %q of secret %q", i, j, got, piece, sec)
					}
				}
			}
		}
	}
}

func TestJSONForms(t *testing.T) {
	tests := map[string]struct {
		secret string
		want   []string
	}{
		"plain":       {"hunter22", nil},
		"html":        {"a<b>&c", []string{`a\u003cb\u003e\u0026c`}},
		"quote":       {`a"b`, []string{`a\"b`}},
		"html, quote": {`<"x">`, []string{`\u003c\"x\"\u003e`, `<\"x\">`}},
		"non-ascii":   {"pässwörd", []string{`p\u00e4ssw\u00f6rd`}},
		"everything":  {"é<\t", []string{`é\u003c\t`, `é<\t`, `\u00e9<\t`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, jsonForms(tc.secret)); diff != "" {
				t.Errorf("jsonForms(%q) mismatch (-want +got):\n%s", tc.secret, diff)
			}
		})
	}
}

func TestNilRedactor(t *testing.T) {
	var r *Redactor
	if got := r.String("secret-value"); got != "secret-value" {
		t.Errorf("nil String = %q", got)
	}
	v := map[string]any{"k": "secret-value"}
	if diff := cmp.Diff(v, r.Value(v)); diff != "" {
		t.Errorf("nil Value changed the value:\n%s", diff)
	}
	var buf bytes.Buffer
	w := r.Writer(&buf)
	w.Write([]byte("plain"))
	w.Flush()
	if buf.String() != "plain" {
		t.Errorf("nil Writer wrote %q", buf.String())
	}
}

func TestStringNoAllocWithoutSecret(t *testing.T) {
	r := New("hunter22", "tok3n-abc")
	s := strings.Repeat("harmless log line\n", 10)
	if n := testing.AllocsPerRun(100, func() { _ = r.String(s) }); n != 0 {
		t.Errorf("String allocated %v times on text without secrets", n)
	}
}

func TestValue(t *testing.T) {
	r := New("hunter22")
	in := map[string]any{
		"stdout": "token=hunter22",
		"bytes":  int64(42),
		"nested": map[string]any{"list": []any{"ok", "hunter22!"}},
		"args":   []string{"-p", "hunter22"},
		"clean":  map[string]any{"a": "b"},
	}
	got := r.Value(in)
	want := map[string]any{
		"stdout": "token=***",
		"bytes":  int64(42),
		"nested": map[string]any{"list": []any{"ok", "***!"}},
		"args":   []string{"-p", "***"},
		"clean":  map[string]any{"a": "b"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Value mismatch (-want +got):\n%s", diff)
	}
	if in["stdout"] != "token=hunter22" || in["args"].([]string)[1] != "hunter22" {
		t.Errorf("Value modified the caller's value: %v", in)
	}
}

// TestValueKeys: a secret in a map key is redacted as in a value (a
// command's JSON object names its outputs), at any depth; keys that
// redact alike stay apart.
func TestValueKeys(t *testing.T) {
	r := New("hunter22", "tok3n-abc")
	tests := map[string]struct {
		in, want map[string]any
	}{
		"top-level key": {
			in:   map[string]any{"hunter22": 1.0, "n": "x"},
			want: map[string]any{"***": 1.0, "n": "x"},
		},
		"key holds a secret": {
			in:   map[string]any{"pw-hunter22": "hunter22"},
			want: map[string]any{"pw-***": "***"},
		},
		"nested key": {
			in:   map[string]any{"n": map[string]any{"hunter22": 2.0}, "l": []any{map[string]any{"tok3n-abc": true}}},
			want: map[string]any{"n": map[string]any{"***": 2.0}, "l": []any{map[string]any{"***": true}}},
		},
		"keys that redact alike": {
			in:   map[string]any{"hunter22": 1.0, "tok3n-abc": 2.0, "***": 3.0},
			want: map[string]any{"***": 3.0, "***#2": 1.0, "***#3": 2.0},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := r.Value(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Value mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// collect writes chunks through a redacting Writer and returns the output.
func collect(t *testing.T, r *Redactor, chunks []string) string {
	t.Helper()
	var buf bytes.Buffer
	w := r.Writer(&buf)
	for _, c := range chunks {
		n, err := w.Write([]byte(c))
		if err != nil || n != len(c) {
			t.Fatalf("Write(%q) = %d, %v", c, n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.String()
}

func TestWriterSplits(t *testing.T) {
	r := New("hunter22", "AKIA-SECRET-KEY")
	tests := map[string]struct {
		chunks []string
		want   string
	}{
		"one write":            {[]string{"pw=hunter22\n"}, "pw=***\n"},
		"split in the middle":  {[]string{"pw=hunt", "er22\n"}, "pw=***\n"},
		"split byte by byte":   {strings.Split("key AKIA-SECRET-KEY end", ""), "key *** end"},
		"secret at the end":    {[]string{"a", "hunter2", "2"}, "a***"},
		"prefix never secret":  {[]string{"hunter2", "x"}, "hunter2x"},
		"many writes, none":    {[]string{"abc", "def", "ghi"}, "abcdefghi"},
		"two secrets straddle": {[]string{"hunter22AKIA-SEC", "RET-KEY"}, "***"},
		"empty writes":         {[]string{"", "hunter", "", "22", ""}, "***"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, collect(t, r, tc.chunks)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriterProperty: for random text sprinkled with secrets and random
// split points, the streamed output equals String of the whole text and
// never contains a secret.
func TestWriterProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	secrets := []string{"hunter22", "tok-XYZW-123", "p@ss", "0123456789abcdef0123456789abcdef"}
	r := New(secrets...)
	alphabet := "abcdefghijklmnopqrstuvwxyz0123456789 -@\n"
	for i := range 2000 {
		var sb strings.Builder
		for sb.Len() < 200 {
			if rng.IntN(5) == 0 {
				sb.WriteString(secrets[rng.IntN(len(secrets))])
				continue
			}
			sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		text := sb.String()
		var chunks []string
		for rest := text; rest != ""; {
			n := min(rng.IntN(20), len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		got := collect(t, r, chunks)
		if want := r.String(text); got != want {
			t.Fatalf("case %d: chunks %q\nstream: %q\nstring: %q", i, chunks, got, want)
		}
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Fatalf("case %d: output %q contains secret %q", i, got, s)
			}
		}
	}
}

// TestWriterHoldsBackOnlyTail: bytes that cannot begin a secret are
// written at once, so a long-running command's log is not delayed.
func TestWriterHoldsBackOnlyTail(t *testing.T) {
	r := New("hunter22") // holds back at most 7 bytes
	var buf bytes.Buffer
	w := r.Writer(&buf)
	w.Write([]byte("progress 10%\nprogress 20%\n"))
	if got, want := buf.Len(), len("progress 10%\nprogress 20%\n")-7; got != want {
		t.Errorf("wrote %d bytes before Flush, want %d", got, want)
	}
}

func BenchmarkWriter(b *testing.B) {
	r := New("hunter22", "tok-XYZW-123", strings.Repeat("k", 64))
	line := []byte(strings.Repeat("an ordinary log line with no secrets at all ", 2) + "\n")
	var sink bytes.Buffer
	w := r.Writer(&sink)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		w.Write(line)
		if sink.Len() > 1<<20 {
			sink.Reset()
		}
	}
}

// TestWriterChainBounded: a stream that is one endless chain of
// overlapping secrets is still redacted, with a bounded buffer.
func TestWriterChainBounded(t *testing.T) {
	r := New("aaaa")
	var buf bytes.Buffer
	w := r.Writer(&buf)
	chunk := []byte(strings.Repeat("a", 1000))
	for range 200 {
		w.Write(chunk)
		if len(w.buf) > maxHold+len(chunk) {
			t.Fatalf("held back %d bytes", len(w.buf))
		}
	}
	w.Close()
	if strings.Contains(buf.String(), "a") {
		t.Errorf("output leaks part of the chain: %q", buf.String()[:100])
	}
}
