// Package transfer is the `transfer` step kind: copy a file or a directory
// tree between any two hosts with hosts.Copy (sha256-verified, temp name +
// rename, identical files skipped). Its probe reports done when every file
// at the destination already matches the source.
package transfer
