package docker

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/drivers"
)

// auth_soft_fail is Nomad's "pull anonymously when registry credentials
// cannot be found": appmesh has no registry credentials and always pulls
// anonymously, so the key is accepted (true or false) and changes nothing.
var configKeys = []string{"args", "auth_soft_fail", "command", "entrypoint", "env", "image", "labels", "load", "port_map", "ports", "privileged", "volumes"}

// ConfigSchema is a docker task's `config` block, for checks before a task
// runs (drivers/builtin.ConfigSchema).
var ConfigSchema = &drivers.ConfigSchema{Keys: configKeys, Required: []string{"image"}}

// taskConfig is a docker task's `config` block.
type taskConfig struct {
	Image      string
	Load       string
	Command    string
	Args       []string
	Entrypoint []string
	Env        map[string]string
	Ports      []string
	PortMap    map[string]int
	Volumes    []string
	Labels     map[string]string
	// Privileged gives the container every capability and the host's
	// devices: refused unless the client sets docker_privileged_enabled.
	Privileged bool
}

func parseConfig(cfg *drivers.TaskConfig) (*taskConfig, error) {
	c := cfg.Config
	var unknown []string
	for k := range c {
		if !slices.Contains(configKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config: unknown keys %s (allowed: %s)", strings.Join(unknown, ", "), strings.Join(configKeys, ", "))
	}
	tc := &taskConfig{}
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"image", &tc.Image}, {"load", &tc.Load}, {"command", &tc.Command}} {
		if *f.dst, err = str(c, f.key); err != nil {
			return nil, err
		}
	}
	if tc.Image == "" {
		return nil, fmt.Errorf("config: image is required")
	}
	for _, f := range []struct {
		key string
		dst *[]string
	}{{"args", &tc.Args}, {"entrypoint", &tc.Entrypoint}, {"ports", &tc.Ports}, {"volumes", &tc.Volumes}} {
		if *f.dst, err = strList(c, f.key); err != nil {
			return nil, err
		}
	}
	if tc.Env, err = strMap(c, "env"); err != nil {
		return nil, err
	}
	if tc.Labels, err = strMap(c, "labels"); err != nil {
		return nil, err
	}
	if tc.PortMap, err = intMap(c, "port_map"); err != nil {
		return nil, err
	}
	if v, ok := c["auth_soft_fail"]; ok && v != nil {
		if _, isBool := v.(bool); !isBool {
			return nil, fmt.Errorf("config: auth_soft_fail must be true or false, got %T", v)
		}
	}
	switch v := c["privileged"].(type) {
	case nil:
	case bool:
		tc.Privileged = v
	default:
		return nil, fmt.Errorf("config: privileged must be true or false, got %T", v)
	}
	return tc, nil
}

func str(c map[string]any, key string) (string, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("config: %s must be a string, got %T", key, v)
	}
	return s, nil
}

func strList(c map[string]any, key string) ([]string, error) {
	switch l := c[key].(type) {
	case nil:
		return nil, nil
	case []string:
		return slices.Clone(l), nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("config: %s[%d] must be a string, got %T", key, i, e)
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, fmt.Errorf("config: %s must be a list of strings, got %T", key, c[key])
	}
}

// mapOf accepts a map as decoded from JSON/HCL (map[string]any, possibly
// wrapped in a one-element list for a block) or built in Go.
func mapOf(c map[string]any, key string) (map[string]any, error) {
	switch m := c[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return m, nil
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out, nil
	case map[string]int:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out, nil
	case []any:
		if len(m) == 1 {
			if inner, ok := m[0].(map[string]any); ok {
				return inner, nil
			}
		}
	}
	return nil, fmt.Errorf("config: %s must be a map, got %T", key, c[key])
}

func strMap(c map[string]any, key string) (map[string]string, error) {
	m, err := mapOf(c, key)
	if err != nil || m == nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("config: %s.%s must be a string, got %T", key, k, v)
		}
		out[k] = s
	}
	return out, nil
}

func intMap(c map[string]any, key string) (map[string]int, error) {
	m, err := mapOf(c, key)
	if err != nil || m == nil {
		return nil, err
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		switch n := v.(type) {
		case int:
			out[k] = n
		case int64:
			out[k] = int(n)
		case float64:
			if n != float64(int(n)) {
				return nil, fmt.Errorf("config: %s.%s must be a whole number", key, k)
			}
			out[k] = int(n)
		default:
			return nil, fmt.Errorf("config: %s.%s must be a number, got %T", key, k, v)
		}
	}
	return out, nil
}
