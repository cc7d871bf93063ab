// Package modelimport is the `import` step kind (the directory is
// steps/import; `import` is a Go keyword): put a migrated model archive
// into a target cluster, with one of two engines.
//
// engine: flow uploads the archive to the FATE Flow of `host`
// (/v1/model/import, multipart, with the archive's sha256 as `hash`). The
// file is "host:path" (a path alone is local) and is streamed from that
// host through planrun. When the server answers that the model already
// exists (409 on 1.9+, "local cache already existed" on 1.5–1.8), the step
// exports the existing model and compares it with the archive: same
// component buffers (every variables/data entry but the pipeline, whose
// model_id/version the import itself rewrites, and the .json twins;
// compared by CRC-32 and size) means the import was already done, so a
// resume never imports twice; anything else is an error unless `force`.
// Outputs: model_id, model_version, party_model_id, job_id (the server's;
// "" when the model was already there or on 1.5–1.8), sha256. The probe
// reports done when the model exists on the server (export probe).
//
// engine: native unpacks the archive with fate.Import (FATE 1.9+'s checks
// and pipeline fix-ups) into a staging directory in the step's work
// directory, then copies the tree into `cache_dir` on `host` (default
// <fate_base>/model_local_cache of that host) with hosts.Copy. A marker
// file `<cache_dir>/../.planrun-imports/<party_model_id>/<version>.json`
// (outside model_local_cache, where FATE would take it for a model)
// records the archive's sha256 ("copying", then "done") and the sha256 of
// every file installed: an existing target with our sha256 is ours (an
// interrupted copy is finished; a done one is left alone while every file
// installed is unchanged, and installed again otherwise); any other
// existing target is refused unless `force`. Files added to the model
// directory since (FATE may add its own) are no change. job_id is "" (no
// FATE job runs). The probe reports done when the pipeline is in place,
// the marker says done with the archive's sha256, and every file
// installed is there unchanged (each hashed on its host).
package modelimport
