// Package sample writes realistic FATE models for examples, tests and
// benchmarks: one model_local_cache directory per party,
// <role>#<party_id>#<model_id>/<version>/, laid out as the chosen FATE
// version writes it (1.9+ by default: define/define_meta.yaml,
// variables/data/<component>/<alias>/<Model> with its .json twin,
// variables/data/pipeline/pipeline/Pipeline, run_parameters/; 1.5–1.8:
// pipeline.pb at the root and define/proto/ as well).
//
// The component buffers carry every party-bearing string FATE writes
// (SecureBoost sitenames "guest:9999", tree_plan "1_10000", anonymous
// columns "host_10000_x0", binning host results keyed by party, selection
// host_col_names, Pearson "(guest,9999)"; anonymous columns in the
// pre-1.9 "host_10000_0" form for older versions, and the fields FATE added
// in 1.9 — DataTransform anonymous_header, selection
// col_name_to_anonym_dict, SecureBoost anonymous_name_mapping — only from
// 1.9), so that a migration has real
// work to do and a residue scan has real places to look. SecureBoost trees
// are written straight to the wire format and sized by Options.SizeBytes,
// so a 200 MB model takes seconds to build. Output is a function of the
// options and the seed alone.
package sample
