// Package hosts reaches a machine's files and commands: the local machine
// and machines over SSH/SFTP, behind one Host interface that a single
// conformance suite exercises for every implementation.
package hosts
