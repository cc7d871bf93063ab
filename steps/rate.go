package steps

import (
	"fmt"
	"strconv"
	"strings"
)

// rateUnits are the units ParseRate takes, in bytes.
var rateUnits = map[string]float64{"B": 1, "KB": 1e3, "KiB": 1 << 10, "MB": 1e6, "MiB": 1 << 20, "GB": 1e9, "GiB": 1 << 30}

// ParseRate reads a transfer rate such as "20MiB/s", "500 KB/s" or
// "1.5GiB" (the "/s" is optional; the unit is not): bytes per second, 0
// for "".
func ParseRate(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	v := strings.TrimSuffix(strings.TrimSpace(s), "/s")
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	unit := ""
	if i >= 0 {
		v, unit = v[:i], strings.TrimSpace(v[i:])
	}
	n, err := strconv.ParseFloat(v, 64)
	mult, ok := rateUnits[unit]
	if err != nil || !ok || n*mult < 1 || n*mult > 1<<50 {
		return 0, fmt.Errorf("bad rate %q (want a number and a unit: B, KB, KiB, MB, MiB, GB or GiB, e.g. 20MiB/s)", s)
	}
	return int64(n * mult), nil
}
