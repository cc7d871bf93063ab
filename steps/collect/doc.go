// Package collect is the `collect` step kind: fetch the zip a migration
// left on a host (with hosts.Copy: local or SSH, sha256-verified, temp
// name + rename) into a local directory, and prove it is a whole archive:
// the central directory reads, every entry is a safe relative path, every
// entry's CRC-32 checks when read in full, and the expected entries are
// there (by default define/define_meta.yaml and the pipeline buffer
// variables/data/pipeline/pipeline/Pipeline). A copy that fails the check
// is removed, so no broken archive is left under its final name.
//
// Outputs: path (the local copy) and sha256. The kind is idempotent and
// its probe reports done when the local copy already has the source's
// sha256 and still verifies.
package collect
