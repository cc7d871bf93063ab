// Package convert holds the per-component converters of FATE's model
// migration (SecureBoost, binning, selection, Pearson, DataTransform) and a
// residue scan over component buffers.
//
// Convert rewrites a component's Param buffer for new party ids field for
// field as FATE 1.9–1.11's converters do (python/federatedml/protobuf/
// model_migrate/converter); components without a converter, and every
// buffer a converter does not change, are returned as the very same bytes.
// A changed buffer is re-encoded with deterministic marshalling, and
// protobuf fields planrun does not know survive untouched.
//
// planrun always applies FATE 1.9+'s string rules, whatever version wrote
// the model: 1.5–1.8's replace() also rewrote "role_pid_idx" strings and
// crashed on guest feature names that contain '_' or ':'; the 1.9+ rules
// (colon form only for replace, migrate_anonymous for anonymous columns)
// are the ones FATE fixed and the ones that give a loadable model. The
// 1.5–1.8 selection converter also dropped every field but five; planrun
// keeps them.
//
// Beyond FATE (the default) planrun also rewrites the party-bearing fields
// FATE forgets: SecureBoost anonymous_name_mapping keys and values, binning
// transform_binning_result, transform_host_results and
// transform_multi_class_result; and it keeps the original spacing of
// Pearson's "(role,pid)" strings so that a round trip is exact. With
// Options.FATECompat it reproduces FATE's output exactly, omissions
// included, with one exception: FATE 1.11 deletes a host's binning results
// when their column names do not change (it copies the entry to its new key
// and then deletes the old key, which is the same key); planrun keeps them
// in both modes.
//
// A SecureBoost Param is nearly all trees; Convert rewrites its trees at
// the wire level (only node sitenames change, every other byte of a tree is
// copied) and decodes only the other fields, which keeps a 200 MB model
// fast to migrate.
//
// Scan reports every place where an old party id is left in a
// party-bearing form ("role:pid", "role_pid_…", "(role,pid)", and the
// plain party id fields such as binning party_id or SecureBoost tree_plan).
// It reads the wire format without decoding. Buffers of known modules are
// walked with their message descriptors (paths like
// "trees_[3].tree_[0].sitename"); fields those messages do not declare, and
// buffers of every other module, are walked generically (paths like
// "#2[0].#5"), trying each length-delimited field as text and as a nested
// message.
package convert
