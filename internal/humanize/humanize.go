// Package humanize writes sizes for people: 512 B, 1.5 KiB, 12.3 MiB.
package humanize

import (
	"fmt"
	"strconv"
)

// Bytes renders n in IEC units: "512 B", "1.5 KiB", "12.3 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
