package fate

// MigrateConfig is FATE's migrate_model.json. (Placeholder shape; the
// engine owns its parsing and validation.)
type MigrateConfig struct {
	JobParameters     map[string]any     `json:"job_parameters"`
	Role              map[string][]int64 `json:"role"`
	ExecuteParty      map[string][]int64 `json:"execute_party"`
	MigrateInitiator  Party              `json:"migrate_initiator"`
	MigrateRole       map[string][]int64 `json:"migrate_role"`
	ModelID           string             `json:"model_id"`
	ModelVersion      string             `json:"model_version"`
	UnifyModelVersion string             `json:"unify_model_version,omitempty"`
}

// Party is a role and a party id.
type Party struct {
	Role    string `json:"role"`
	PartyID int64  `json:"party_id"`
}
