package modelimport

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Config is the `with:` block of an import step.
type Config struct {
	Engine string `yaml:"engine"`
	// Host is the target: its FATE Flow (flow) or its model_local_cache (native).
	Host string `yaml:"host"`
	// File is "host:path" of the archive (a path alone is local).
	File         string `yaml:"file"`
	Role         string `yaml:"role"`
	PartyID      int64  `yaml:"party_id"`
	ModelID      string `yaml:"model_id"`
	ModelVersion string `yaml:"model_version"`
	// Force replaces a different model already there.
	Force bool `yaml:"force"`
	// CacheDir is the model_local_cache on host (engine native).
	CacheDir string `yaml:"cache_dir"`
	// SHA256, when set, is the archive's expected digest (e.g. a collect
	// step's output); a different archive is refused before anything is sent.
	SHA256 string `yaml:"sha256"`
	// BWLimit caps the rate the archive's bytes move at (see
	// steps.ParseRate): fetched and installed (native), uploaded (flow).
	BWLimit string `yaml:"bwlimit"`
}

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// Validate checks the required fields per engine.
func (*Import) Validate(cfg any) []steps.FieldError {
	c := cfg.(*Config)
	var errs []steps.FieldError
	add := func(path, format string, a ...any) {
		errs = append(errs, steps.FieldError{Path: path, Msg: fmt.Sprintf(format, a...)})
	}
	switch c.Engine {
	case "flow":
		if c.ModelID == "" {
			add("model_id", "required with engine flow")
		}
		if c.ModelVersion == "" {
			add("model_version", "required with engine flow")
		}
		if c.CacheDir != "" {
			add("cache_dir", "only used with engine native")
		}
	case "native":
	case "":
		add("engine", "required: native or flow")
	default:
		add("engine", "%q is not an engine (want native or flow)", c.Engine)
	}
	if c.Host == "" {
		add("host", "required: the target host")
	}
	if c.File == "" {
		add("file", "required: host:path of the archive")
	} else if _, p := hosts.ParseAddress(c.File); p == "" {
		add("file", "%q has no path", c.File)
	}
	if c.Role == "" {
		add("role", "required")
	}
	if c.PartyID <= 0 {
		add("party_id", "required: the new party id (a positive integer)")
	}
	if c.SHA256 != "" && !strings.Contains(c.SHA256, "${{") && !hexRE.MatchString(c.SHA256) {
		add("sha256", "%q is not a sha256 (64 hex digits)", c.SHA256)
	}
	if _, err := steps.ParseRate(c.BWLimit); err != nil {
		add("bwlimit", "%s", err)
	}
	return errs
}
