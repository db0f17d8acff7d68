package taskrunner

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// connectHook does the client's part of the service mesh for one task:
// the sidecar proxy the servers injected (structs.InjectConnectSidecars)
// gets its command resolved to this agent's binary and address, and every
// other task of the group gets the addresses of the group's connect
// upstreams in its environment. It runs after the env and upstreams
// hooks, so that a connect upstream wins over an `upstream` block's
// variable of the same name.
type connectHook struct {
	tr        *TaskRunner
	upstreams []*structs.ConsulUpstream
}

func (h *connectHook) Name() string { return "connect" }

// connectHookFor returns the hook, or nil when the task has no part in the
// mesh.
func connectHookFor(tr *TaskRunner, upstreams []*structs.ConsulUpstream) hook {
	if tr.task.MeshProxyService() == "" && len(upstreams) == 0 {
		return nil
	}
	return &connectHook{tr: tr, upstreams: upstreams}
}

func (h *connectHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	if h.tr.task.MeshProxyService() != "" {
		return h.resolveProxy(cfg)
	}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	addConnectUpstreamEnv(cfg.Env, h.upstreams)
	return nil
}

// addConnectUpstreamEnv sets, for each upstream, APPMESH_UPSTREAM_<NAME>
// and Nomad's NOMAD_UPSTREAM_ADDR_<name>, _IP_ and _PORT_.
func addConnectUpstreamEnv(env map[string]string, ups []*structs.ConsulUpstream) {
	for _, u := range ups {
		addr := u.BindAddr()
		host, port, _ := net.SplitHostPort(addr)
		env[(&structs.Upstream{Service: u.DestinationName}).EnvName()] = addr
		name := envSafe(u.DestinationName)
		env["NOMAD_UPSTREAM_ADDR_"+name] = addr
		env["NOMAD_UPSTREAM_IP_"+name] = host
		env["NOMAD_UPSTREAM_PORT_"+name] = port
	}
}

// envSafe replaces what a shell variable name may not hold with '_', as
// Nomad does.
func envSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

var connectPlaceholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.\-]+)\}`)

// resolveProxy fills in the injected task's command and args: ${attr.X}
// from this node's attributes (the binary and the agent's address, which
// the servers cannot know) and ${VAR} from the task's environment. Only
// the servers' own proxy task gets this; a user's task config is passed
// to its driver as written.
func (h *connectHook) resolveProxy(cfg *drivers.TaskConfig) error {
	var attrs map[string]string
	if h.tr.node != nil {
		if n := h.tr.node(); n != nil {
			attrs = n.Attributes
		}
	}
	var missing []string
	resolve := func(s string) string {
		return connectPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if a, ok := strings.CutPrefix(name, "attr."); ok {
				if v, ok := attrs[a]; ok && v != "" {
					return v
				}
			} else if v, ok := cfg.Env[name]; ok {
				return v
			}
			missing = append(missing, name)
			return m
		})
	}
	out := make(map[string]any, len(cfg.Config))
	for k, v := range cfg.Config {
		out[k] = v
	}
	if cmd, ok := out["command"].(string); ok {
		out["command"] = resolve(cmd)
	}
	if args, ok := out["args"].([]any); ok {
		resolved := make([]any, len(args))
		for i, a := range args {
			if s, ok := a.(string); ok {
				resolved[i] = resolve(s)
			} else {
				resolved[i] = a
			}
		}
		out["args"] = resolved
	}
	if len(missing) > 0 {
		return fmt.Errorf("sidecar proxy: this client cannot resolve %s (is it an appmesh client agent of this version?)",
			strings.Join(missing, ", "))
	}
	cfg.Config = out
	return nil
}
