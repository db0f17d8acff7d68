package bridgenet

import "net/netip"

// startAgentForwarder makes the agent's HTTP address reachable inside the
// allocation's namespace when it is a loopback address (an agent bound to
// 127.0.0.1, as `agent -dev` is): the namespace has a loopback of its
// own, so the injected mesh proxies, which read their config from
// ${attr.appmesh.agent_addr}, would find nothing there. A listener at the
// same address inside the namespace copies each connection to the agent,
// so TLS and the address in the proxies' arguments stay as they are. An
// agent on another address is reached across the bridge and needs none.
// A failure is logged, not fatal: the group's own tasks still run.
func (m *Manager) startAgentForwarder(allocID, nsPath string) {
	ap, err := netip.ParseAddrPort(m.cfg.AgentAddr)
	if err != nil || !ap.Addr().IsLoopback() {
		return
	}
	ln, err := listenInNS(nsPath, m.cfg.AgentAddr)
	if err != nil {
		m.logger.Warn("cannot reach the agent from inside the allocation's namespace: its mesh proxies will get no config",
			"alloc_id", allocID, "agent_addr", m.cfg.AgentAddr, "error", err)
		return
	}
	m.fwds[allocID] = append(m.fwds[allocID], serveForwarder(ln, m.cfg.AgentAddr, m.logger))
	m.logger.Debug("agent address forwarded into the allocation's namespace", "alloc_id", allocID, "addr", m.cfg.AgentAddr)
}
