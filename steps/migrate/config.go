package migrate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Engines.
const (
	EngineNative = "native"
	EngineFlow   = "flow"
)

// Config is the `with:` block of a migrate step.
type Config struct {
	Engine string `yaml:"engine"`
	// Host is the host whose FATE Flow runs the migration (engine flow).
	Host string `yaml:"host"`
	// Model is "host:path" of the party's model directory or zip (engine native).
	Model string `yaml:"model"`
	// Config holds migrate_model.json's fields inline; ConfigFile names the
	// file instead (relative to the plan's directory).
	Config     map[string]any `yaml:"config"`
	ConfigFile string         `yaml:"config_file"`
	// Party is the old party, "role:id" (native: which party; flow: narrow
	// execute_party to it).
	Party string `yaml:"party"`
	// Out is the local directory for the archive (engine native; default
	// the step's work directory).
	Out string `yaml:"out"`
	// Compat "fate" reproduces FATE's own output, omissions included
	// (engine native).
	Compat string `yaml:"compat"`
}

// hasExpr reports whether any string in v is an unresolved expression.
func hasExpr(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "${{")
	case map[string]any:
		for _, e := range x {
			if hasExpr(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasExpr(e) {
				return true
			}
		}
	}
	return false
}

// Validate checks the engine's required fields, the party and, when it
// has no expressions, the inline config with FATE's rules.
func (*Migrate) Validate(cfg any) []steps.FieldError {
	c := cfg.(*Config)
	var errs []steps.FieldError
	add := func(path, format string, a ...any) {
		errs = append(errs, steps.FieldError{Path: path, Msg: fmt.Sprintf(format, a...)})
	}
	switch c.Engine {
	case EngineNative:
		if c.Model == "" {
			add("model", "required with engine native (host:path of the party's model directory or zip)")
		} else if _, p := hosts.ParseAddress(c.Model); p == "" {
			add("model", "%q has no path", c.Model)
		}
		if c.Host != "" {
			add("host", "only used with engine flow (engine native runs here)")
		}
		if h, _ := hosts.ParseAddress(c.Out); c.Out != "" && h != hosts.LocalName {
			add("out", "must be a local directory")
		}
	case EngineFlow:
		if c.Host == "" {
			add("host", "required with engine flow (the host whose FATE Flow runs the migration)")
		}
		if c.Model != "" {
			add("model", "only used with engine native (FATE Flow reads its own model_local_cache)")
		}
		if c.Out != "" {
			add("out", "only used with engine native")
		}
		if c.Compat != "" {
			add("compat", "only used with engine native")
		}
	case "":
		add("engine", "required: native or flow")
	default:
		add("engine", "%q is not an engine (want native or flow)", c.Engine)
	}
	switch c.Compat {
	case "", "fate", "planrun":
	default:
		add("compat", "%q is not a compat mode (want fate or planrun)", c.Compat)
	}
	if (c.Config == nil) == (c.ConfigFile == "") {
		add("", "set exactly one of config (inline migrate_model.json fields) and config_file")
	}
	var party fate.Party
	if c.Party != "" && !hasExpr(c.Party) {
		p, err := fate.ParseParty(c.Party)
		if err != nil {
			add("party", "%v", err)
		}
		party = p
	} else if c.Party == "" && c.Engine == EngineNative {
		add("party", "required with engine native (the old party to migrate, role:id)")
	}
	if c.Config != nil && !hasExpr(c.Config) {
		mc, err := parseInline(c.Config)
		if err != nil {
			if ce, ok := err.(*fate.ConfigError); ok {
				for _, p := range ce.Problems {
					path := "config"
					if p.Path != "" {
						path += "." + p.Path
					}
					add(path, "%s", p.Msg)
				}
			} else {
				add("config", "%v", err)
			}
		} else if party.Role != "" {
			if !contains(mc.Role[party.Role], party.PartyID) {
				add("party", "%s is not in config.role", c.Party)
			} else if c.Engine == EngineFlow && !contains(mc.ExecuteParty[party.Role], party.PartyID) {
				add("party", "%s is not in config.execute_party", c.Party)
			}
		}
	}
	return errs
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func parseInline(m map[string]any) (*fate.MigrateConfig, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode config as JSON: %w", err)
	}
	return fate.ParseMigrateConfig(b, "")
}

// load returns the parsed config and its JSON text.
func load(c *Config, baseDir string) (*fate.MigrateConfig, []byte, error) {
	var b []byte
	name := "config"
	if c.ConfigFile != "" {
		p := c.ConfigFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir, p)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("read config_file: %w", err)
		}
		b, name = raw, c.ConfigFile
	} else {
		raw, err := json.Marshal(c.Config)
		if err != nil {
			return nil, nil, fmt.Errorf("encode config as JSON: %w", err)
		}
		b = raw
	}
	mc, err := fate.ParseMigrateConfig(b, name)
	if err != nil {
		return nil, nil, err
	}
	return mc, b, nil
}
