package flow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature computes FATE Flow's request signature: base64 of
// HMAC-SHA1(secret, timestamp "\n" nonce "\n" appKey "\n" pathWithQuery "\n"
// jsonBody "\n" form), where form is the form fields sorted by key (then
// value) and url-encoded with only unreserved characters (RFC 3986) left
// as they are. The server side (flowtest) verifies with the same function.
func Signature(secret, timestamp, nonce, appKey, pathWithQuery string, jsonBody []byte, form [][2]string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'\n'})
	mac.Write([]byte(nonce))
	mac.Write([]byte{'\n'})
	mac.Write([]byte(appKey))
	mac.Write([]byte{'\n'})
	mac.Write([]byte(pathWithQuery))
	mac.Write([]byte{'\n'})
	mac.Write(jsonBody)
	mac.Write([]byte{'\n'})
	mac.Write([]byte(EncodeForm(form)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// EncodeForm url-encodes form fields sorted by key then value, escaping
// every byte but ASCII letters, digits and "-._~" (spaces become %20).
func EncodeForm(form [][2]string) string {
	if len(form) == 0 {
		return ""
	}
	f := append([][2]string(nil), form...)
	sort.Slice(f, func(i, j int) bool {
		if f[i][0] != f[j][0] {
			return f[i][0] < f[j][0]
		}
		return f[i][1] < f[j][1]
	})
	parts := make([]string, len(f))
	for i, kv := range f {
		parts[i] = quote(kv[0]) + "=" + quote(kv[1])
	}
	return strings.Join(parts, "&")
}

func quote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// PathWithQuery is the path (and query, if any) a signature covers.
func PathWithQuery(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

func sign(h http.Header, appKey, secret string, u *url.URL, jsonBody []byte, form [][2]string, now time.Time) {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	nonce := newNonce()
	// Set verbatim (not canonicalised): FATE's CLI sends these names as is.
	h["TIMESTAMP"] = []string{ts}
	h["NONCE"] = []string{nonce}
	h["APP_KEY"] = []string{appKey}
	h["SIGNATURE"] = []string{Signature(secret, ts, nonce, appKey, PathWithQuery(u), jsonBody, form)}
}

// newNonce returns a random UUID in its text form.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
