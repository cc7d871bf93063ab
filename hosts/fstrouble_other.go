//go:build !linux

package hosts

// localFSTrouble cannot tell here.
func localFSTrouble(string) string { return "" }
