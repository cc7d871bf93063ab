// Package sshtest starts real SSH/SFTP servers on 127.0.0.1 for tests:
// an in-process server built from x/crypto/ssh and pkg/sftp (with fault
// injection: dropped connections, a full disk) and OpenSSH's sshd run as
// the current user with a generated configuration. Both serve the real
// file system, run exec requests with /bin/sh, and come with a generated
// host key, an authorised user key and a known_hosts file, so that clients
// connect exactly as they would to a production server.
package sshtest
