// Package server is the control plane: the Raft-replicated state, the RPC
// endpoints, and the leader's duties (eval broker, scheduler workers, plan
// applier, blocked evaluations, heartbeat timers).
package server

import (
	"context"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/server/fsm"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/server/stream"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/tlsutil"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Config configures a server.
type Config struct {
	// NodeName names this server; it is also its Raft server ID when no ID
	// was persisted yet.
	NodeName string
	// DataDir holds the Raft log, stable store and snapshots. Empty with
	// DevMode means everything stays in memory.
	DataDir string
	// DevMode runs a single in-memory server tuned to be ready at once.
	DevMode bool
	// RPCAddr is the address other agents use to reach this server's RPC
	// and Raft port (advertise address:rpc port).
	RPCAddr string
	// RPCBindAddr is where the RPC port listens (default: RPCAddr).
	RPCBindAddr string
	// BootstrapExpect is the number of servers to wait for before
	// bootstrapping; 1 bootstraps a single-server cluster at once.
	BootstrapExpect int
	// NumSchedulers is the number of scheduler workers on the leader.
	NumSchedulers int
	// RunGCAfter is how long finished remote runs are kept (0: 1h).
	RunGCAfter time.Duration
	// GC tunes the leader's garbage collection (core_gc.go).
	GC GCConfig
	// GossipAddr is where gossip membership listens (host:port); empty
	// disables gossip (a lone server).
	GossipAddr string
	// GossipBindAddr is where gossip listens (default: GossipAddr).
	GossipBindAddr string
	// Join lists gossip addresses of servers to join.
	Join []string
	// Datacenter scopes membership and bootstrapping.
	Datacenter string
	// HeartbeatTTL is how long a node may stay silent before it is down.
	HeartbeatTTL time.Duration
	// HeartbeatGrace is added to the TTL before a silent node is marked
	// down (default: a quarter of the TTL).
	HeartbeatGrace time.Duration
	Logger         hclog.Logger
	// Consul enables the leader's Consul duties (consul_config.go).
	Consul *ConsulConfig
	// ACLEnabled turns on token checks for every RPC (rpc_auth.go).
	ACLEnabled bool
	// JoinToken, when set, is the secret servers prove to each other
	// (transport/handshake.go): a gossip member becomes a Raft voter, and
	// a connection may speak Raft or relay for another server, only after
	// proving it. Empty: servers trust each other unproven.
	JoinToken string
	// Login tunes users' login tokens and lockouts (login_jwt.go).
	Login LoginConfig
	// MeshCA tunes the service mesh's CA (mesh_ca.go).
	MeshCA MeshCAConfig
	// TLS, when set, runs mutual TLS on the RPC/Raft port: a server proves
	// itself by its certificate's name, and JoinToken is not used
	// (tls_rpc.go).
	TLS *tlsutil.Store
	// GossipKey is the base64 gossip encryption key (-encrypt); a keyring
	// saved in DataDir wins over it (gossip_keyring.go).
	GossipKey string
	// FailoverHeartbeatTTL is how long a new leader waits for a node's
	// first heartbeat (default 5m; heartbeat_failover.go).
	FailoverHeartbeatTTL time.Duration
	// RaftMultiplier scales Raft's heartbeat, election and leader-lease
	// timeouts (0 or 1: the base LAN timing; raft_timing.go).
	RaftMultiplier int
	// EvalTiming tunes evaluation retries (zero fields: defaults;
	// eval_broker_nack.go).
	EvalTiming EvalBrokerTiming
	// failEstablish, when set (tests only), makes establishLeadership
	// fail while it returns an error.
	failEstablish func() error
}

func (c *Config) setDefaults() {
	if c.NumSchedulers <= 0 {
		// Each worker waits for its plan to commit (Raft + FSM) before it
		// takes the next evaluation, so workers idle on I/O: more of them
		// than cores keeps the plan applier busy (measured with
		// scripts/bench/sim: 2 workers ≈ 2,900, 4 ≈ 4,900 placements/s).
		c.NumSchedulers = max(4, 2*runtime.NumCPU())
	}
	if c.HeartbeatTTL <= 0 {
		c.HeartbeatTTL = structs.DefaultHeartbeatTTL
	}
	if c.HeartbeatGrace <= 0 {
		c.HeartbeatGrace = c.HeartbeatTTL / 4
	}
	if c.FailoverHeartbeatTTL <= 0 {
		c.FailoverHeartbeatTTL = DefaultFailoverHeartbeatTTL
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.BootstrapExpect <= 0 {
		c.BootstrapExpect = 1
	}
	if c.RPCAddr == "" {
		c.RPCAddr = "127.0.0.1:6061"
	}
	if c.Datacenter == "" {
		c.Datacenter = structs.DefaultDatacenter
	}
	if c.RPCBindAddr == "" {
		c.RPCBindAddr = c.RPCAddr
	}
}

// Server is one appmesh server.
type Server struct {
	config *Config
	logger hclog.Logger

	fsm  *fsm.FSM
	raft *raft.Raft
	// raftCloser releases the Raft stores and transport on shutdown.
	raftCloser   func() error
	raftNotifyCh chan bool

	rpcServer *rpc.Server
	listener  net.Listener
	raftLayer *transport.RaftLayer
	connPool  *transport.Pool
	// handshake proves the join token between servers; nil without one.
	handshake *transport.Handshake
	// gossipKeys is the gossip encryption keyring; nil: unencrypted.
	gossipKeys *gossipKeyring
	// tlsSelf is what this server answers a probe with, under TLS.
	tlsSelf transport.ServerIdentity
	// memberProofs rate-limits the warnings about members that failed to
	// prove the join token (membership loop only).
	memberProofs memberProofLog
	clients      clientSessions
	local        localClientSlot
	members      *membership
	// bootstrapped is set once the Raft configuration is known to exist.
	bootstrapped atomic.Bool
	// reconnecting guards the background rejoin of failed servers;
	// lastReconnect is only touched by the membership loop.
	reconnecting  atomic.Bool
	lastReconnect time.Time

	broker     *EvalBroker
	blocked    *BlockedEvals
	planQueue  *PlanQueue
	heartbeats *heartbeater
	rollouts   *rolloutWatcher
	allocAcks  *allocUpdateBatcher // clients' status reports, merged (alloc_update_batch.go)
	gc         coreGC
	events     *stream.Broker // the event stream (events.go)
	aclCache   aclResolver
	login      loginState // users' login (login_jwt.go)

	leaderMu     sync.Mutex
	leaderCancel context.CancelFunc
	leaderReady  atomic.Bool // the FSM caught up with this term's log (read_barrier.go)
	leaderWG     sync.WaitGroup
	leaderRetry  chan struct{} // leader_retry.go
	launchMu     sync.Mutex    // serializes periodic/dispatch launches (periodic.go)

	shutdownCtx    context.Context
	shutdownCancel context.CancelFunc
	shutdownOnce   sync.Once
	wg             sync.WaitGroup
}

// NewServer builds a server, opens its Raft stores and starts Raft.
func NewServer(cfg *Config) (*Server, error) {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		config:         cfg,
		logger:         cfg.Logger.Named("server"),
		shutdownCtx:    ctx,
		shutdownCancel: cancel,
		raftNotifyCh:   make(chan bool, 10),
		leaderRetry:    make(chan struct{}, 1),
	}
	f, err := fsm.New(s.logger)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create FSM: %w", err)
	}
	s.fsm = f
	s.setupEvents()
	s.broker = NewEvalBroker(s.logger, 3)
	s.broker.SetTiming(cfg.EvalTiming)
	s.blocked = NewBlockedEvals(s.logger, s.broker)
	s.planQueue = NewPlanQueue()
	s.heartbeats = newHeartbeater(s)
	s.rollouts = newRolloutWatcher(s)
	s.allocAcks = newAllocUpdateBatcher(func(e *structs.AllocClientUpdateEntry) (uint64, error) {
		return s.raftApply(structs.AllocClientUpdateRequestType, e)
	})

	s.connPool = transport.NewPool(s.logger)
	if err := s.setupRPC(); err != nil {
		cancel()
		return nil, err
	}
	if err := s.setupListener(); err != nil {
		cancel()
		return nil, err
	}
	if err := s.setupRaft(); err != nil {
		s.listener.Close()
		cancel()
		return nil, err
	}
	s.startAccepting()
	s.wg.Add(1)
	go s.monitorLeadership()
	return s, nil
}

// State returns the current state store (it is swapped on snapshot restore).
func (s *Server) State() *state.StateStore { return s.fsm.State() }

// IsLeader reports whether this server is the Raft leader.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's RPC address or "" when there is none.
func (s *Server) Leader() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// WaitForLeader blocks until a leader is known or ctx is done.
func (s *Server) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for s.Leader() == "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for leader: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Shutdown stops leader duties and Raft and closes the stores.
func (s *Server) Shutdown() error {
	var err error
	s.shutdownOnce.Do(func() {
		s.logger.Info("shutting down server")
		s.shutdownCancel()
		s.revokeLeadership()
		if s.listener != nil {
			s.listener.Close()
		}
		s.connPool.Close()
		s.shutdownMembership()
		if s.raft != nil {
			if e := s.raft.Shutdown().Error(); e != nil {
				err = fmt.Errorf("shutdown raft: %w", e)
			}
		}
		s.wg.Wait()
		if s.raftCloser != nil {
			if e := s.raftCloser(); e != nil && err == nil {
				err = e
			}
		}
	})
	return err
}

// serverIDPath is where a server keeps its Raft ID across restarts.
func (s *Server) persistedID() (string, error) {
	if s.config.DataDir == "" {
		return s.config.NodeName, nil
	}
	path := filepath.Join(s.config.DataDir, "server-id")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	id := structs.GenerateID()
	if err := os.MkdirAll(s.config.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("persist server id: %w", err)
	}
	return id, nil
}
