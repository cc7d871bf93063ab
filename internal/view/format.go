package view

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/planrun/planrun/internal/humanize"
	"github.com/planrun/planrun/runner/checkpoint"
)

// stepLabel is how a step is named on one line:
// "copy-guest (transfer, host old-guest, item m1)".
func stepLabel(id, kind, host, item string) string {
	var b strings.Builder
	b.WriteString(id)
	if kind == "" && host == "" && item == "" {
		return b.String()
	}
	b.WriteString(" (")
	sep := ""
	if kind != "" {
		b.WriteString(kind)
		sep = ", "
	}
	if host != "" {
		b.WriteString(sep + "host " + host)
		sep = ", "
	}
	if item != "" {
		b.WriteString(sep + "item " + item)
	}
	b.WriteString(")")
	return b.String()
}

func eventLabel(e checkpoint.Event) string { return stepLabel(e.Step, e.Kind, e.Host, e.Item) }

// formatBytes renders n in IEC units: "512 B", "1.5 KiB", "12.3 MiB".
func formatBytes(n int64) string { return humanize.Bytes(n) }

// formatDuration renders d compactly: "0s", "45ms", "1.2s", "2m03s", "1h02m".
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		s := int(d.Round(time.Second).Seconds())
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	m := int(d.Round(time.Minute).Minutes())
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}

// oneLine folds a multi-line message (a command's stderr in an error) onto
// one line, so that one state change stays one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return strings.Join(fields, " ⏎ ")
}

// timestamp renders t in UTC with second precision, as every line starts.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// percent is done/total as a whole percentage, clamped to 0..100.
func percent(done, total int64) int {
	if total <= 0 {
		return 0
	}
	return int(min(max(done*100/total, 0), 100))
}

// toInt64 reads a JSON-ish number (int, int64, float64 after a JSON round
// trip, json.Number) from an output value.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint64:
		return int64(x), true
	case float64:
		return int64(x), true
	case interface{ Int64() (int64, error) }:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}
