// Package schemas holds planrun's embedded JSON Schemas (draft 2020-12): the
// plan schema (plan.json) and one schema per step kind for its `with:` block
// (kinds/<kind>.json, written by each kind's owner; see kinds/README.md).
//
// Plan composes them into one document, the full plan schema that
// `planrun schema` prints and editors use. CheckPlan, CheckKind and
// CheckHosts validate decoded YAML against the compiled schemas and return
// each problem with its instance location, so the plan loader can point at
// file:line:col.
package schemas
