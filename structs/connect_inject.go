package structs

import "strconv"

// InjectConnectSidecars adds the sidecar proxy of every group service with
// connect.sidecar_service: a dynamic port and a prestart sidecar task,
// both named "connect-proxy-<service>". It is deterministic and
// idempotent: a proxy task injected earlier (Kind "connect-proxy:<svc>",
// as `job inspect` prints it back) is rebuilt from the service, and one
// whose service lost its connect block is removed with its port. A user
// task that takes the name is left for Validate to report. Canonicalize
// calls it, so `job plan`, `job validate` and the stored job show the
// proxy.
func (g *TaskGroup) InjectConnectSidecars(job *Job) {
	wanted := map[string]*Service{}
	for _, s := range g.Services {
		if s.HasSidecar() || s.IsIngressGateway() {
			wanted[s.Name] = s
		}
	}
	// Drop injected tasks and ports whose service no longer wants them.
	kept := g.Tasks[:0:0]
	for _, t := range g.Tasks {
		svc := t.MeshProxyService()
		if svc != "" && (wanted[svc] == nil || g.MeshProxyTaskName(svc) != t.Name) {
			if t.ConnectProxyService() != "" {
				g.removeInjectedPort(ConnectProxyName(svc))
			}
			continue
		}
		kept = append(kept, t)
	}
	g.Tasks = kept
	for _, s := range g.Services {
		name := g.MeshProxyTaskName(s.Name)
		if name == "" || wanted[s.Name] != s {
			continue
		}
		existing := g.LookupTask(name)
		if existing != nil && existing.MeshProxyService() != s.Name {
			continue // a user's task: Validate reports the clash
		}
		var task *Task
		if s.HasSidecar() {
			if s.Connect.SidecarService.Port == "" {
				g.ensureDynamicPort(name)
			}
			task = connectProxyTask(s, name)
		} else {
			task = connectIngressTask(s)
		}
		if existing != nil {
			*existing = *task
		} else {
			g.Tasks = append(g.Tasks, task)
		}
	}
}

// ProxyPortLabel is the port label the sidecar of a service listens on.
func (s *Service) ProxyPortLabel() string {
	if s.HasSidecar() && s.Connect.SidecarService.Port != "" {
		return s.Connect.SidecarService.Port
	}
	return ConnectProxyName(s.Name)
}

func (g *TaskGroup) ensureDynamicPort(label string) {
	if g.Network == nil {
		g.Network = &NetworkResource{}
	}
	if hasPortLabel(g.Network, label) {
		return
	}
	g.Network.Ports = append(g.Network.Ports, &Port{Label: label})
}

// removeInjectedPort drops a dynamic port of an injected proxy (a static
// one is the user's and stays).
func (g *TaskGroup) removeInjectedPort(label string) {
	if g.Network == nil {
		return
	}
	kept := g.Network.Ports[:0:0]
	for _, p := range g.Network.Ports {
		if p != nil && p.Label == label && p.Static == 0 {
			continue
		}
		kept = append(kept, p)
	}
	g.Network.Ports = kept
}

// connectProxyTask builds the proxy task of a service. The command is
// resolved by the client to its own executable (the servers cannot know
// its path), and ${APPMESH_ALLOC_ID} from the task's environment.
func connectProxyTask(s *Service, name string) *Task {
	// The proxy's /metrics has no ACL check of its own, so it is on no
	// TCP address at all (a loopback port is open to every local user):
	// in host and bridge mode alike it is a 0600 Unix socket in the task
	// directory, a filesystem the agent shares with the proxy even across
	// a network namespace. Only the proxy's user and root (the agent) can
	// read it; the agent serves it from its own /v1/metrics, behind the
	// ACL check (client/mesh_metrics.go).
	args := []any{"connect", "proxy", "-agent", "${attr." + AttrAppmeshAgentAddr + "}", "-alloc-id", "${APPMESH_ALLOC_ID}", "-service", s.Name,
		"-metrics-addr", "unix:${APPMESH_TASK_DIR}/" + ProxyMetricsSocket}
	// Validate rejected a bad value; an unset one keeps the default.
	var procs int
	switch {
	case s.HasSidecar():
		procs, _ = s.Connect.SidecarService.Proxy.MaxProcs()
	case s.Connect != nil && s.Connect.Gateway != nil:
		procs, _ = s.Connect.Gateway.Proxy.MaxProcs()
	}
	if procs > 0 {
		args = append(args, "-max-procs", strconv.Itoa(procs))
	}
	t := &Task{
		Name:   name,
		Kind:   ConnectProxyKindPrefix + s.Name,
		Driver: "raw_exec",
		Config: map[string]any{
			"command": ConnectProxyCommand,
			"args":    args,
		},
		Lifecycle: &TaskLifecycle{Hook: LifecycleHookPrestart, Sidecar: true},
		Resources: &Resources{CPU: defaultProxyCPU, MemoryMB: defaultProxyMemoryMB},
		// The proxy authenticates to its client agent with the token
		// written to secrets/appmesh_token.
		Identities: []*WorkloadIdentity{{File: true}},
	}
	if st := s.Connect.SidecarTask; st != nil {
		// sidecar_task adjusts a gateway's task too, as in Nomad.
		if st.Resources != nil {
			r := *st.Resources
			t.Resources = &r
		}
		t.Env, t.Meta = copyStringMap(st.Env), copyStringMap(st.Meta)
		t.KillTimeout = st.KillTimeout
		t.Logs = st.Logs.Copy()
	}
	return t
}
