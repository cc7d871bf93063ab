// Package flowtest is an httptest FATE Flow 1.x server that answers as
// ../shared/FATE.md §1 documents, for the server generations: Gen19
// (1.9+), Gen17 (1.7–1.8) and Gen15 (1.5–1.6), the last two alike but for
// how missing arguments are answered. No FATE Flow can run in planrun's
// tests, so this fake follows the documented contract to the letter
// instead: status codes (error_response puts the retcode in the HTTP
// status), retcodes and retmsgs per generation, multipart import parsed
// as FATE's server parses it (request.form + request.files['file']),
// per-party migrate details with an overall retcode 0 even when a party
// failed, export as an attachment, packaging (1.9+ only), deploy, and
// request signing checked when a secret is configured.
//
// Requests are routed as Werkzeug routes FATE Flow's model blueprint
// (routes.go): any one-segment path is operate_model's /<model_operation>,
// and a path no rule matches is Flask's HTML 404 before 1.9 and retcode
// 100 with the NotFound's repr from 1.9 (errorhandler(Exception)). Routes
// the fake does not implement answer 501, so a test cannot rely on them
// unknowingly. Where FATE's Python raises on what it was sent (a KeyError,
// str() of an id), the fake says what Python would (python.go).
//
// Models live in a real temporary model_local_cache. The fake's
// /migrate/do copies the party's model directory, rewrites the pipeline
// message as FATE does for the generation (model_id, model_version,
// train_runtime_conf's role, initiator and job_parameters through the
// runtime conf adapter, initiator_* above fate_version 1.5.0, and on 1.9+
// roles and four keys of runtime_conf_on_party), and zips it as FATE's
// make_archive does; component buffers are carried over unchanged (the
// converters are the native engine's business, tested there). As FATE
// 1.9+ takes the components from its database, a Gen19 server migrates a
// model it never registered (copied into model_local_cache by hand) with
// the pipeline alone (FATE.md §6).
//
// Faults can be injected per operation: an HTML error page, a non-JSON
// answer, a slow answer (to hit client timeouts) and a connection reset
// in the middle of an upload. Every request is recorded for assertions.
package flowtest
