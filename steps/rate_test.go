package steps_test

import (
	"testing"

	"github.com/planrun/planrun/steps"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "20MiB/s": 20 << 20, "500 KB/s": 500000, "1.5GiB": 3 << 29, "1B/s": 1, " 64 KiB/s ": 64 << 10, "2GB": 2e9,
		"20": -1, "20 mb/s": -1, "MiB/s": -1, "0.5B": -1, "0MiB/s": -1, "-1MiB/s": -1, "1e3KB": -1, "2000000GiB": -1,
	} {
		got, err := steps.ParseRate(in)
		if want < 0 {
			if err == nil {
				t.Errorf("ParseRate(%q) = %d, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
