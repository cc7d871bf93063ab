package fate

// This file holds the API the step kinds and commands call.

// Compat selects how faithfully to reproduce FATE's own migration.
type Compat string

const (
	// CompatPlanrun (the default) also rewrites the party-id fields FATE
	// forgets (SecureBoost anonymous_name_mapping, binning transform_*,
	// runtime_conf_on_party.local, a deployed model's parent_info) and
	// migrates checkpoint/ buffers (with their database.yaml hashes);
	// every other file is carried over.
	CompatPlanrun Compat = ""
	// CompatFATE reproduces FATE 1.9+'s output, omissions included: stale
	// fields left, checkpoint/ and define/proto/ dropped, a .json twin
	// written for every buffer.
	CompatFATE Compat = "fate"
)

// MigrateRequest asks for one party's model to be migrated.
type MigrateRequest struct {
	// Src is the party's model: a `<role>#<pid>#<model_id>/<version>`
	// directory, its parent `<role>#<pid>#<model_id>` directory, or a zip.
	Src string
	// OutDir is where `<new party_model_id>_<version>.zip` is written.
	OutDir string
	// Config is FATE's migrate_model.json.
	Config *MigrateConfig
	// Role and PartyID name the (old) party to migrate; when Role is empty
	// they come from Src's name, else its runtime_conf_on_party.local.
	Role    string
	PartyID int64
	Compat  Compat
	// Limits bound what reading a zip source may unpack (zero: defaults).
	Limits ZipLimits
	// Workers compress the archive concurrently (zero: GOMAXPROCS).
	Workers int
}

// MigrateResult describes the written archive.
type MigrateResult struct {
	ModelID      string // new model id
	PartyModelID string // new <role>#<pid>#<model_id>
	ModelVersion string
	Zip          string // path of the archive
	SHA256       string // hex digest of the archive
}

// ImportRequest asks for an archive to be unpacked into a model_local_cache
// as FATE 1.9+'s /v1/model/import does (with its fix-ups).
type ImportRequest struct {
	Zip      string
	CacheDir string // the model_local_cache directory
	// Role and PartyID default to the archive's import_model.json.
	Role    string
	PartyID int64
	// ModelID and ModelVersion default to the values in the archive's
	// import_model.json / pipeline.
	ModelID      string
	ModelVersion string
	Force        bool
	// SHA256, when set, must be the archive's digest (FATE's `hash`).
	SHA256 string
	// Limits bound what unpacking the zip may write (zero: defaults).
	Limits ZipLimits
}

// ImportResult says where the model landed.
type ImportResult struct {
	Dir          string
	ModelID      string
	ModelVersion string
	PartyModelID string
}
