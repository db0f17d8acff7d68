package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"
)

// memberMeta is what a server gossips about itself.
type memberMeta struct {
	ID              string `json:"id"`
	RPCAddr         string `json:"rpc"`
	Datacenter      string `json:"dc"`
	BootstrapExpect int    `json:"expect"`
}

// membership tracks the servers gossip knows, including those that failed
// or left (memberlist itself forgets them).
type membership struct {
	list    *memberlist.Memberlist
	eventCh chan struct{}

	mu      sync.Mutex
	members map[string]*memberState
}

type memberState struct {
	node   *memberlist.Node
	meta   memberMeta
	status string
}

type gossipDelegate struct{ meta []byte }

func (d *gossipDelegate) NodeMeta(limit int) []byte                  { return d.meta }
func (d *gossipDelegate) NotifyMsg([]byte)                           {}
func (d *gossipDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *gossipDelegate) LocalState(join bool) []byte                { return nil }
func (d *gossipDelegate) MergeRemoteState(buf []byte, join bool)     {}

type gossipEvents struct{ m *membership }

func (e gossipEvents) NotifyJoin(n *memberlist.Node)   { e.m.update(n, "alive") }
func (e gossipEvents) NotifyUpdate(n *memberlist.Node) { e.m.update(n, "alive") }
func (e gossipEvents) NotifyLeave(n *memberlist.Node) {
	status := "failed"
	if n.State == memberlist.StateLeft {
		status = "left"
	}
	e.m.update(n, status)
}

func (m *membership) update(n *memberlist.Node, status string) {
	var meta memberMeta
	if err := json.Unmarshal(n.Meta, &meta); err != nil || meta.RPCAddr == "" {
		return // not an appmesh server
	}
	m.mu.Lock()
	m.members[n.Name] = &memberState{node: n, meta: meta, status: status}
	m.mu.Unlock()
	select {
	case m.eventCh <- struct{}{}:
	default:
	}
}

func (m *membership) snapshot() []*memberState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*memberState, 0, len(m.members))
	for _, ms := range m.members {
		c := *ms
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].node.Name < out[j].node.Name })
	return out
}

func (m *membership) markLeft(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	ms, ok := m.members[name]
	if ok {
		ms.status = "left"
	}
	return ok
}

// setupMembership starts gossip on the configured address and joins the
// given servers in the background.
func (s *Server) setupMembership(raftID string) error {
	if s.config.GossipAddr == "" {
		return nil // single in-process server without gossip (tests)
	}
	host, port, err := splitHostPort(s.config.GossipAddr)
	if err != nil {
		return err
	}
	bindHost, bindPort := host, port
	if s.config.GossipBindAddr != "" {
		if bindHost, bindPort, err = splitHostPort(s.config.GossipBindAddr); err != nil {
			return err
		}
	}
	meta, _ := json.Marshal(memberMeta{ID: raftID, RPCAddr: s.config.RPCAddr, Datacenter: s.config.Datacenter, BootstrapExpect: s.config.BootstrapExpect})
	s.members = &membership{eventCh: make(chan struct{}, 1), members: map[string]*memberState{}}

	mc := memberlist.DefaultLANConfig()
	mc.Name = s.config.NodeName
	mc.BindAddr, mc.BindPort = bindHost, bindPort
	mc.AdvertiseAddr, mc.AdvertisePort = host, port
	mc.Delegate = &gossipDelegate{meta: meta}
	mc.Events = gossipEvents{s.members}
	mc.Logger = s.logger.Named("gossip").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	mc.LogOutput = nil
	// Faster failure detection than the WAN-friendly defaults: servers
	// of one cluster sit on one network.
	mc.ProbeInterval = 500 * time.Millisecond
	mc.ProbeTimeout = 250 * time.Millisecond
	mc.GossipInterval = 100 * time.Millisecond
	if err := s.setupGossipKeyring(mc); err != nil {
		return err
	}
	list, err := memberlist.Create(mc)
	if err != nil {
		return fmt.Errorf("start gossip on %s: %w", s.config.GossipAddr, err)
	}
	s.members.list = list
	s.wg.Add(1)
	go s.membershipLoop()
	if len(s.config.Join) > 0 {
		s.wg.Add(1)
		go s.retryJoin(s.config.Join)
	}
	return nil
}

// Join asks gossip to contact the given servers.
func (s *Server) Join(addrs []string) (int, error) {
	if s.members == nil {
		return 0, fmt.Errorf("gossip is not enabled on this server")
	}
	n, err := s.members.list.Join(addrs)
	if err != nil {
		return n, fmt.Errorf("join %v: %w", addrs, err)
	}
	return n, nil
}

func (s *Server) retryJoin(addrs []string) {
	defer s.wg.Done()
	for attempt := 0; ; attempt++ {
		n, err := s.Join(addrs)
		if err == nil && n > 0 {
			s.logger.Info("joined servers", "contacted", n)
			return
		}
		if attempt%10 == 0 {
			s.logger.Warn("join failed, retrying", "addrs", addrs, "error", err)
		}
		select {
		case <-s.shutdownCtx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// membershipLoop bootstraps Raft once enough servers are known, and on the
// leader keeps the Raft peers in line with membership.
func (s *Server) membershipLoop() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.shutdownCtx.Done():
			return
		case <-s.members.eventCh:
		case <-t.C:
		}
		if err := s.maybeBootstrap(); err != nil {
			s.logger.Error("bootstrap", "error", err)
		}
		s.reconnectFailed()
		if s.IsLeader() {
			if err := s.reconcilePeers(); err != nil {
				s.logger.Warn("reconcile raft peers", "error", err)
			}
		}
	}
}

// maybeBootstrap bootstraps a new cluster once bootstrap_expect servers
// are alive. Every server computes the same configuration from the same
// members, so whichever bootstraps first agrees with the rest.
func (s *Server) maybeBootstrap() error {
	if s.config.BootstrapExpect <= 1 || s.bootstrapped.Load() {
		return nil
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	if len(f.Configuration().Servers) > 0 {
		s.bootstrapped.Store(true)
		return nil
	}
	var servers []raft.Server
	for _, m := range s.members.snapshot() {
		if m.status != "alive" || m.meta.Datacenter != s.config.Datacenter {
			continue
		}
		if m.meta.BootstrapExpect != 0 && m.meta.BootstrapExpect != s.config.BootstrapExpect {
			return fmt.Errorf("server %s expects %d servers, this one %d: refusing to bootstrap", m.node.Name, m.meta.BootstrapExpect, s.config.BootstrapExpect)
		}
		if !s.proveMember(m.node.Name, m.meta.ID, m.meta.RPCAddr) {
			continue // not counted: it may be a rogue claiming to be a server
		}
		servers = append(servers, raft.Server{ID: raft.ServerID(m.meta.ID), Address: raft.ServerAddress(m.meta.RPCAddr), Suffrage: raft.Voter})
	}
	if len(servers) < s.config.BootstrapExpect {
		return nil
	}
	if s.peersAlreadyBootstrapped(servers) {
		// Joining a running cluster: its leader adds us as a voter.
		s.bootstrapped.Store(true)
		return nil
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	s.logger.Info("bootstrapping raft cluster", "servers", len(servers))
	if err := s.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && err != raft.ErrCantBootstrap {
		return fmt.Errorf("bootstrap raft cluster: %w", err)
	}
	s.bootstrapped.Store(true)
	return nil
}

// reconcilePeers adds alive servers that are not Raft voters yet, and
// removes servers that left (or were forced out).
func (s *Server) reconcilePeers() error {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	inRaft := map[raft.ServerID]raft.ServerAddress{}
	for _, srv := range f.Configuration().Servers {
		inRaft[srv.ID] = srv.Address
	}
	for _, m := range s.members.snapshot() {
		if m.meta.Datacenter != s.config.Datacenter {
			continue
		}
		id := raft.ServerID(m.meta.ID)
		addr, present := inRaft[id]
		switch {
		case m.status == "alive" && (!present || addr != raft.ServerAddress(m.meta.RPCAddr)):
			if !s.proveMember(m.node.Name, m.meta.ID, m.meta.RPCAddr) {
				continue
			}
			s.logger.Info("adding raft peer", "node", m.node.Name, "addr", m.meta.RPCAddr)
			if err := s.raft.AddVoter(id, raft.ServerAddress(m.meta.RPCAddr), 0, 0).Error(); err != nil {
				return fmt.Errorf("add voter %s: %w", m.node.Name, err)
			}
		case m.status == "left" && present && m.meta.RPCAddr != s.config.RPCAddr:
			s.logger.Info("removing raft peer that left", "node", m.node.Name)
			if err := s.raft.RemoveServer(id, 0, 0).Error(); err != nil {
				return fmt.Errorf("remove peer %s: %w", m.node.Name, err)
			}
		}
	}
	return nil
}

// Members lists the servers gossip knows.
func (s *Server) Members() []*structs.ServerMember {
	if s.members == nil {
		return []*structs.ServerMember{{Name: s.config.NodeName, RPCAddr: s.config.RPCAddr, Datacenter: s.config.Datacenter, Status: "alive", Leader: s.IsLeader()}}
	}
	leader := s.Leader()
	var out []*structs.ServerMember
	for _, m := range s.members.snapshot() {
		out = append(out, &structs.ServerMember{
			Name: m.node.Name, Addr: m.node.Address(), RPCAddr: m.meta.RPCAddr, ID: m.meta.ID,
			Datacenter: m.meta.Datacenter, Status: m.status, Leader: m.meta.RPCAddr == leader,
		})
	}
	return out
}

func (s *Server) shutdownMembership() {
	if s.members != nil && s.members.list != nil {
		_ = s.members.list.Shutdown()
	}
}

// aliveServerAddrs lists the RPC addresses of alive servers, this one first
// (clients learn the server set from it).
func (s *Server) aliveServerAddrs() []string {
	out := []string{s.config.RPCAddr}
	for _, m := range s.Members() {
		if m.Status == "alive" && m.RPCAddr != s.config.RPCAddr {
			out = append(out, m.RPCAddr)
		}
	}
	return out
}

func splitHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("gossip address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, fmt.Errorf("gossip address %q: port is not a number", addr)
	}
	return host, port, nil
}

// peersAlreadyBootstrapped asks the other servers whether they already form
// a cluster, so a server added later never bootstraps one of its own.
func (s *Server) peersAlreadyBootstrapped(servers []raft.Server) bool {
	for _, srv := range servers {
		if string(srv.Address) == s.config.RPCAddr {
			continue
		}
		ctx, cancel := context.WithTimeout(s.shutdownCtx, 2*time.Second)
		var reply structs.StatusPeersResponse
		err := s.connPool.RPC(ctx, string(srv.Address), structs.StatusPeersRPC, &structs.GenericRequest{}, &reply)
		cancel()
		if err == nil && len(reply.Peers) > 0 {
			return true
		}
	}
	return false
}

// reconnectInterval is how often failed servers are contacted again.
const reconnectInterval = 3 * time.Second

// reconnectFailed tries to rejoin servers gossip declared failed: after a
// partition heals, both sides consider the other dead and memberlist never
// contacts a dead node again by itself.
func (s *Server) reconnectFailed() {
	if time.Since(s.lastReconnect) < reconnectInterval || !s.reconnecting.CompareAndSwap(false, true) {
		return
	}
	s.lastReconnect = time.Now()
	var addrs []string
	for _, m := range s.members.snapshot() {
		if m.status == "failed" {
			addrs = append(addrs, m.node.Address())
		}
	}
	if len(addrs) == 0 {
		s.reconnecting.Store(false)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.reconnecting.Store(false)
		if n, err := s.members.list.Join(addrs); err == nil && n > 0 {
			s.logger.Info("reconnected to failed servers", "contacted", n)
		}
	}()
}
