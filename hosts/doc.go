// Package hosts reaches a machine's files and commands: the local machine
// and machines over SSH/SFTP, behind one Host interface that a single
// conformance suite (hosts/hoststest) exercises for every implementation.
//
// A Pool is a plan's inventory (Spec per name; "local" always exists). It
// connects each host on first use and shares it between all steps: one
// SSH connection per host, carrying a few SFTP sessions (OpenSSH serves
// each in its own process) and up to MaxExecSessions commands. A dropped
// connection is noticed (keepalives, failed requests) and the next call
// dials again. TCP_QUICKACK is set on the connection (OpenSSH's sshd does
// not disable Nagle's algorithm for non-interactive sessions, which with
// delayed ACKs cost 40 ms when a session opened), and what the SSH layer
// writes goes out through a flusher that joins packets written meanwhile
// into one write (see batchConn). Host keys are checked against
// known_hosts, read as ssh reads it (internal/sshconfig: hashed names,
// @cert-authority host certificates, @revoked): an unknown or changed key
// is a *HostKeyError showing the SHA256 fingerprint and what to do, never
// accepted. Keys come from
// identity files and ssh-agent; a jump host (another inventory host or
// user@host:port) is supported. What a Spec leaves out comes from the
// OpenSSH client config, as ssh would take it (internal/sshconfig):
// aliases, users, ports, keys, known_hosts files and ProxyJump chains.
//
// Copy moves a file or a tree between any two hosts (remote to remote
// streams through this process): 64 files at a time, SFTP writes
// pipelined (255 KiB requests to servers announcing OpenSSH's limits, 32
// KiB to others; a file of up to 1 MiB is read into one pooled buffer
// and written with a single call), sha256 of every file checked at the
// destination before it appears under its final name, with the source's
// mode and mtime. Between two local hosts a file is copied in one pass:
// each piece is hashed once, written, read back and compared byte for
// byte, so the destination is shown to hold the bytes whose sha256 is
// recorded without hashing them twice. A new tree is written into a staging directory beside its destination
// (".<name>.planrun-tmp") and renamed into place whole once every file is
// verified; into an existing destination, each file is written under a
// temp name and renamed into place. Remote hashes run in a long-lived
// shell per connection (a login shell's rc files are read once, not per
// command), started as a copy starts so that it is ready for the first
// hash. A destination file with the same size and sha256 is not sent
// again, so an interrupted copy resumes where it stopped. After a
// verified copy, Copy records the digests beside the destination
// (".<name>.planrun-sums"); a later copy trusts a recorded digest for a
// file whose size and mtime are unchanged on both sides (and not "racy"),
// which makes re-running a finished transfer cheap. CopyOptions.Checksum
// hashes both sides instead.
package hosts
