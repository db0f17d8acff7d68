package structs

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
		if s.HasSidecar() {
			wanted[s.Name] = s
		}
	}
	// Drop injected tasks and ports whose service no longer wants them.
	kept := g.Tasks[:0:0]
	for _, t := range g.Tasks {
		if svc := t.ConnectProxyService(); svc != "" && wanted[svc] == nil {
			g.removeInjectedPort(ConnectProxyName(svc))
			continue
		}
		kept = append(kept, t)
	}
	g.Tasks = kept
	for _, s := range g.Services {
		if !s.HasSidecar() {
			continue
		}
		name := ConnectProxyName(s.Name)
		existing := g.LookupTask(name)
		if existing != nil && existing.ConnectProxyService() != s.Name {
			continue // a user's task: Validate reports the clash
		}
		if s.Connect.SidecarService.Port == "" {
			g.ensureDynamicPort(name)
		}
		task := connectProxyTask(s)
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
func connectProxyTask(s *Service) *Task {
	t := &Task{
		Name:   ConnectProxyName(s.Name),
		Kind:   ConnectProxyKindPrefix + s.Name,
		Driver: "raw_exec",
		Config: map[string]any{
			"command": ConnectProxyCommand,
			"args":    []any{"connect", "proxy", "-agent", "${attr." + AttrAppmeshAgentAddr + "}", "-alloc-id", "${APPMESH_ALLOC_ID}", "-service", s.Name},
		},
		Lifecycle: &TaskLifecycle{Hook: LifecycleHookPrestart, Sidecar: true},
		Resources: &Resources{CPU: defaultProxyCPU, MemoryMB: defaultProxyMemoryMB},
		// The proxy authenticates to its client agent with the token
		// written to secrets/appmesh_token.
		Identities: []*WorkloadIdentity{{File: true}},
	}
	if st := s.Connect.SidecarTask; st != nil {
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
