// Package fate is planrun's FATE domain: party and model ids, FATE's
// migrate/import configs, the on-disk model layout (1.4 to 1.11),
// archives, the native offline migration, the import fix-ups and the
// residue scan that proves no old party id is left in a model.
//
// A Model is one party's model version read from a directory or a zip
// (zip entries are checked for traversal, symlinks and size before use).
// Migrate rewrites it as FATE 1.9+'s migration does: the pipeline
// (model_id, model_version, roles, train_runtime_conf, initiator,
// runtime_conf_on_party; JSON in Python's json.dumps form, key order kept)
// and every component through fate/convert; other files are carried over
// byte for byte. By default it also fixes what FATE leaves stale (see
// Compat). The result is written as shutil.make_archive would lay it out,
// with import_model.json inside, through a temporary file and a rename.
// Import unpacks such an archive into a model_local_cache with FATE 1.9+'s
// checks and fix-ups. Scan finds every old party id left in a model;
// Inspect describes one.
//
// JSON documents are handled as ordered values (jsonValue) so that they
// can be rewritten and written back byte for byte as Python would;
// buffers' .json twins are rendered as protobuf's MessageToDict does.
package fate
