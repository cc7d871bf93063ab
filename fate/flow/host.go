package flow

import (
	"fmt"

	"github.com/planrun/planrun/hosts"
)

// ForHost returns a client for an inventory host's FATE Flow (spec.Flow).
// When spec.FlowAppKey is set, the signing secret is read from the
// environment variable spec.FlowSecretEnv through lookup (os.LookupEnv in
// production); the secret itself never appears in plans, state or errors.
func ForHost(name string, spec hosts.Spec, lookup func(string) (string, bool), opts Options) (*Client, error) {
	if spec.Flow == "" {
		return nil, fmt.Errorf("host %s has no flow URL (set hosts.%s.flow, e.g. http://10.1.0.5:9380)", name, name)
	}
	if spec.FlowAppKey != "" {
		if spec.FlowSecretEnv == "" {
			return nil, fmt.Errorf("host %s: flow_app_key is set but flow_secret_env does not name the variable holding the secret", name)
		}
		secret, ok := lookup(spec.FlowSecretEnv)
		if !ok || secret == "" {
			return nil, fmt.Errorf("host %s: environment variable %s (flow_secret_env) is not set", name, spec.FlowSecretEnv)
		}
		opts.AppKey, opts.Secret = spec.FlowAppKey, secret
	}
	opts.Host = name
	c, err := New(spec.Flow, opts)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	return c, nil
}
