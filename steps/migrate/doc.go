// Package migrate is the `migrate` step kind: migrate a FATE model to new
// party ids, with one of two engines.
//
// engine: native rewrites one party's model files in Go, offline
// (fate.Migrate): `model` is "host:path" of the party's model directory or
// zip (a remote one is first copied into the step's work directory),
// `party` the old party ("role:id"), and the archive lands in `out`
// (default the step's work directory). Outputs: model_id, party_model_id,
// model_version, zip, sha256 (and party). Idempotent; the probe reports
// done when the recorded zip still exists with the recorded sha256.
//
// engine: flow submits FATE's migrate_model.json to the FATE Flow of
// `host` (/v1/model/migrate) and reads data.detail for every executing
// party: the step fails, naming each failed party with its retmsg, even
// when FATE's overall retcode is 0. With `party` set, the submitted
// execute_party is narrowed to that one party, so a plan can give each
// party its own step (and a failure or a retry touches only that party).
// Outputs as above for the party (zip is the archive's path on the
// executing machine: from /archive/packaging on 1.9+, with its sha256, or
// from the /migrate/do message on 1.5–1.8, sha256 then unknown); without
// `party` and with several executing parties, the outputs are per party:
// zip_<role>_<id>, party_model_id_<role>_<id>, sha256_<role>_<id>.
// FATE's answer names the new plain model id (model_id); party_model_id
// is read from the archive's name (<party model id>_<version>.zip), or
// else built from the config: migrate_role's id at the old id's position
// in role.
// When the host's fate_base is set and both the source and the migrated
// model are in its model_local_cache, the step also compares their
// component lists: FATE 1.9+ migrates a model it never imported with the
// pipeline alone and still reports success (FATE.md §6); the step fails
// and says so. A side that is absent is logged as not compared; one that
// is there but unreadable fails the step.
// Not idempotent (a second submission may be refused as "occupied"); the
// probe reports done when the migrated model exists on that server, or,
// for 1.5–1.8 which do not keep it, when the recorded zip is still on the
// host with the recorded sha256.
//
// The config is FATE's migrate_model.json, inline under `config` or read
// from `config_file`, parsed and checked with the FATE engine's rules
// (fate.ParseMigrateConfig); unify_model_version should be set so every
// party's new model shares one version.
package migrate
