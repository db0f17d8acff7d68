// Package agent is the appmesh agent process: it reads the configuration,
// wires a server and/or a client together, and serves the HTTP API.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/appmesh/appmesh/client"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/tlsutil"
	"github.com/appmesh/appmesh/transport"
	"github.com/appmesh/appmesh/version"
	"github.com/hashicorp/go-hclog"
)

// Agent runs a server, a client, or both, and the HTTP API in front of them.
type Agent struct {
	config *Config
	// cfgMu guards the settings of config that a reload changes
	// (LogLevel, Client.Meta; agent_reload.go) against their readers.
	cfgMu  sync.RWMutex
	logger hclog.Logger

	server *server.Server
	client *client.Client
	http   *HTTPServer
	// remote reaches the servers when this agent runs no server itself.
	remote *serverRPC
	// consul is the Consul integration (consul.go); nil when off.
	consul *consulAgent
	// tls holds the tls block's certificates (agent_tls.go); nil when off.
	tls *tlsutil.Store
	obs observability // metrics registry, audit log (agent_observability.go)

	httpAddr string
	tempDir  string // dev-mode data directory, removed on shutdown
	lock     *dataDirLock
}

// NewAgent starts everything the configuration enables. On error, whatever
// was started is stopped again.
func NewAgent(cfg *Config, logger hclog.Logger) (_ *Agent, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// a is not the named result: `return nil, err` must leave it for the
	// deferred Shutdown.
	a := &Agent{config: cfg, logger: logger}
	logSecurityWarnings(cfg, logger)
	defer func() {
		if err != nil {
			_ = a.Shutdown()
			err = plainStartError(err)
		}
	}()
	if err := a.lockDataDir(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Ports.HTTP)))
	if err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s:%d: %w", cfg.BindAddr, cfg.Ports.HTTP, err)
	}
	a.httpAddr = ln.Addr().String()
	if ln, err = a.setupTLS(ln); err != nil {
		return nil, err
	}
	if err := a.setupConsul(); err != nil {
		ln.Close()
		return nil, err
	}
	if cfg.Server.Enabled {
		if err := a.startServer(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if cfg.Client.Enabled {
		if err := a.startClient(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if err := a.setupObservability(); err != nil {
		ln.Close()
		return nil, err
	}
	httpOpts := []HTTPServerOption{WithHTTPConfig(cfg.HTTP, cfg.Name), WithAppMeshFiles(a.amFileBaseDir())}
	if cfg.TLS != nil && cfg.TLS.HTTP && a.tls != nil {
		// Other agents' APIs speak HTTPS too: App Mesh's X-Target-Host
		// forwarding reaches them with this agent's certificate.
		httpOpts = append(httpOpts, WithAppMeshForwardTLS(a.tls.AgentClientConfig))
	}
	a.http = NewHTTPServer(logger.Named("http"), a, ln, httpOpts...)
	if err := a.startConsulAdvertise(); err != nil {
		return nil, err
	}
	logger.Info("agent started", "http", a.httpAddr, "server", cfg.Server.Enabled, "client", cfg.Client.Enabled, "dev", cfg.DevMode)
	return a, nil
}

// ServerGCPercent trades some memory for CPU on servers: their live heap
// is the state store, and collection was a quarter of the CPU with 100,000
// allocations (scripts/bench/sim: ≈ 4,800 → 5,100 placements/s at 150).
// An explicit GOGC in the environment wins.
const ServerGCPercent = 150

func (a *Agent) startServer() error {
	cfg := a.config
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(ServerGCPercent)
	}
	srvCfg := &server.Config{
		NodeName:        cfg.Name,
		DataDir:         cfg.serverDataDir(),
		DevMode:         cfg.DevMode,
		RPCAddr:         net.JoinHostPort(cfg.advertiseIP(), strconv.Itoa(cfg.Ports.RPC)),
		RPCBindAddr:     net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Ports.RPC)),
		Datacenter:      cfg.Datacenter,
		Join:            cfg.Server.Join,
		BootstrapExpect: cfg.Server.BootstrapExpect,
		NumSchedulers:   cfg.Server.NumSchedulers,
		RunGCAfter:      runGCAfter(cfg.Server.RunGCAfter),
		GC:              cfg.Server.gcConfig(),
		ACLEnabled:      cfg.ACL.Enabled,
		Logger:          a.logger,
		Consul:          a.consulServer(),
		JoinToken:       cfg.Server.JoinToken,
		Login:           cfg.ACL.loginConfig(),
		TLS:             a.rpcTLS(),
		GossipKey:       cfg.Server.Encrypt,
	}
	srvCfg.FailoverHeartbeatTTL = cfg.Server.failoverHeartbeatTTL()
	srvCfg.RaftMultiplier = cfg.Server.RaftMultiplier
	srvCfg.MeshCA = cfg.Server.meshCAConfig()
	if !cfg.DevMode {
		srvCfg.GossipAddr = net.JoinHostPort(cfg.advertiseIP(), strconv.Itoa(cfg.Ports.Gossip))
		srvCfg.GossipBindAddr = net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Ports.Gossip))
	}
	s, err := server.NewServer(srvCfg)
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	a.server = s
	if cfg.Server.BootstrapExpect > 1 {
		return nil // the leader appears once the other servers join
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitForLeader(ctx); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	return nil
}

func (a *Agent) startClient() error {
	cfg := a.config
	dataDir := a.tempDir
	if cfg.DataDir != "" {
		dataDir = filepath.Join(cfg.DataDir, "client")
		// The server may have made the data dir 0700; tasks that run as
		// another user pass through it to their directories.
		if err := os.MkdirAll(cfg.DataDir, 0o711); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		if err := client.MakeTraversable(cfg.DataDir, a.logger); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable for driver plugins: %w", err)
	}
	grace, err := parsePluginIdleGrace(cfg.Client.PluginIdleGrace)
	if err != nil {
		return err
	}
	var rpc client.RPCer = a
	if a.server == nil {
		a.remote = newServerRPC(a.logger, cfg.Client.Servers)
		a.remote.pool.TLS = a.rpcTLSDialer()
		rpc = a.remote
	}
	c, err := client.New(&client.Config{
		NodeName:       cfg.Name,
		Datacenter:     cfg.Datacenter,
		DataDir:        dataDir,
		HTTPAddr:       net.JoinHostPort(cfg.advertiseIP(), strconv.Itoa(cfg.Ports.HTTP)),
		Meta:           cfg.Client.Meta,
		RawExecEnabled: cfg.Client.RawExec,
		UserDenylist:   cfg.Client.UserDenylist,
		// Either gives a container the host: off unless the operator
		// turned them on.
		DockerVolumesEnabled:    cfg.Client.DockerVolumesEnabled,
		DockerPrivilegedEnabled: cfg.Client.DockerPrivilegedEnabled,
		ChrootEnv:               cfg.Client.ChrootEnv,
		ArtifactLocalDirs:       cfg.Client.ArtifactLocalDirs,
		ArtifactMaxSize:         cfg.Client.ArtifactMaxSizeMB << 20,
		HostVolumes:             cfg.Client.hostVolumes(),
		Logger:                  a.logger,
		RPC:                     rpc,
		FetchAllocData:          a.fetchAllocData,
		Drivers:                 client.NewPluginDriverManager(self, a.logger),
		PluginDir:               cfg.PluginDir,
		PluginIdleGrace:         grace,
		// The dev agent's state is temporary: nothing could re-attach.
		KillTasksOnShutdown: cfg.DevMode,
		Services:            a.consulServices(),
		MeshConsul:          a.consulMesh(),
		ServiceAddress:      cfg.advertiseIP(),
		GC:                  cfg.Client.gcConfig(),
		BridgeName:          cfg.Client.BridgeNetworkName,
		BridgeSubnet:        cfg.Client.BridgeNetworkSubnet,
		BridgeNoNAT:         cfg.Client.BridgeNetworkNAT != nil && !*cfg.Client.BridgeNetworkNAT,
	})
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if a.remote != nil {
		a.remote.mu.Lock()
		a.remote.nodeID = c.NodeID
		a.remote.secretID = c.SecretID
		a.remote.logs = func(ctx context.Context, req *transport.LogsRequest, w io.Writer) error {
			if req.Type == transport.LogTypeAllocData {
				return c.StreamAllocData(ctx, req.AllocID, w)
			}
			return c.StreamLogs(ctx, req.AllocID, req.Task, req.Type, req.Follow, req.Offset, w)
		}
		a.remote.calls = a.HandleClientCall
		a.remote.exec = a.serveExecStream
		a.remote.stdin = func(req *transport.LogsRequest, r io.Reader) error {
			return c.WriteStdin(context.Background(), req.AllocID, req.Task, r)
		}
		a.remote.mu.Unlock()
	}
	a.client = c
	if a.server != nil {
		a.server.SetLocalClient(localClient{a})
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("start client: %w", err)
	}
	return nil
}

// HTTPAddr is the address the HTTP API listens on.
func (a *Agent) HTTPAddr() string { return a.httpAddr }

// Server returns the agent's server, or nil.
func (a *Agent) Server() *server.Server { return a.server }

// Client returns the agent's client, or nil.
func (a *Agent) Client() *client.Client { return a.client }

// RPC serves the HTTP API's and the local client's calls: in-process when
// this agent runs a server, over the network otherwise.
func (a *Agent) RPC(method string, args any, reply any) error {
	switch {
	case a.server != nil:
		return a.server.RPC(method, args, reply)
	case a.remote != nil:
		return a.remote.RPC(method, args, reply)
	}
	return fmt.Errorf("rpc %s: this agent has no server to ask", method)
}

// RPCContext is RPC whose call ends with ctx: on a server the context
// travels in the query's options; a client-only agent's call to its
// servers is cut when ctx ends.
func (a *Agent) RPCContext(ctx context.Context, method string, args any, reply any) error {
	if a.server == nil && a.remote != nil {
		return a.remote.RPCContext(ctx, method, args, reply)
	}
	// In-process, the context rides in the query's options: without it
	// the local client's five-minute allocation watch would hold the
	// agent's shutdown.
	structs.WithQueryContext(ctx, args)
	return a.RPC(method, args, reply)
}

// StreamLogs streams a task's output: from the local client when the
// allocation is here, otherwise from its node through the servers.
func (a *Agent) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	if a.client != nil {
		err := a.client.StreamLogs(ctx, allocID, task, logType, follow, offset, w)
		if err == nil || !structs.IsNotFound(err) || !a.isRemoteAlloc(ctx, allocID) {
			return err
		}
	}
	req := &transport.LogsRequest{AllocID: allocID, Task: task, Type: logType, Follow: follow, Offset: offset}
	if a.server != nil {
		return a.server.StreamClientLogs(ctx, req, w)
	}
	if a.remote == nil {
		return errors.New("this agent runs no client and reaches no server")
	}
	return a.remote.forwardLogs(ctx, req, w)
}

// fetchAllocData asks the servers for a previous allocation's data on
// another node (ephemeral_disk migrate): in-process when this agent runs a
// server, over a forwarded stream otherwise. The servers check the node
// secret the request carries.
func (a *Agent) fetchAllocData(ctx context.Context, req *transport.LogsRequest, w io.Writer) error {
	if a.server != nil {
		return a.server.StreamClientLogs(ctx, req, w)
	}
	if a.remote == nil {
		return errors.New("this agent reaches no server")
	}
	return a.remote.forwardLogs(ctx, req, w)
}

// isRemoteAlloc reports whether the allocation exists and runs on another
// node than this agent's client.
func (a *Agent) isRemoteAlloc(ctx context.Context, allocID string) bool {
	node, err := a.allocNode(ctx, allocID)
	return err == nil && (a.client == nil || node != a.client.NodeID())
}

// Members lists the servers this agent's server knows through gossip.
func (a *Agent) Members() ([]*structs.ServerMember, error) {
	if a.server == nil {
		var reply structs.ServerMembersResponse
		if err := a.RPC("Status.Members", &structs.GenericRequest{}, &reply); err != nil {
			return nil, err
		}
		return reply.Members, nil
	}
	return a.server.Members(), nil
}

// Join makes this agent's server join others through gossip.
func (a *Agent) Join(addrs []string) (int, error) {
	if a.server == nil {
		return 0, &httpError{code: 400, msg: "this agent runs no server: join servers with -join, clients find servers with -servers"}
	}
	return a.server.Join(addrs)
}

// SnapshotSave writes the cluster state as this agent's server has it.
func (a *Agent) SnapshotSave(w io.Writer) error {
	if a.server == nil {
		return &httpError{code: 400, msg: "this agent runs no server: send snapshot requests to a server's agent"}
	}
	return a.server.SnapshotSave(w)
}

// SnapshotRestore restores a saved state through Raft.
func (a *Agent) SnapshotRestore(r io.Reader) error {
	if a.server == nil {
		return &httpError{code: 400, msg: "this agent runs no server: send the restore to the leader's agent"}
	}
	return a.server.SnapshotRestore(r)
}

// Self describes the agent for GET /v1/agent/self.
func (a *Agent) Self() map[string]any {
	cfg := a.config
	out := map[string]any{
		"name":       cfg.Name,
		"datacenter": cfg.Datacenter,
		"version":    version.String(),
		"dev_mode":   cfg.DevMode,
		"http_addr":  a.httpAddr,
		"server":     cfg.Server.Enabled,
		"client":     cfg.Client.Enabled,
		"ports":      map[string]int{"http": cfg.Ports.HTTP, "rpc": cfg.Ports.RPC, "gossip": cfg.Ports.Gossip},
		// For operators and leak checks (scripts/bench/node -only leaks).
		"stats": map[string]int{"goroutines": runtime.NumGoroutine(), "open_fds": openFDs()},
	}
	// Secrets (join_token, consul token, ...) show as "<redacted>".
	a.cfgMu.RLock()
	out["config"] = cfg.redactedView()
	a.cfgMu.RUnlock()
	if a.server != nil {
		out["leader"] = a.server.Leader()
		out["is_leader"] = a.server.IsLeader()
	}
	if a.client != nil {
		out["node_id"] = a.client.NodeID()
	}
	return out
}

// Shutdown stops the HTTP API, then the client, then the server.
func (a *Agent) Shutdown() error {
	var errs []error
	a.shutdownConsul()
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.http.Shutdown(ctx))
		cancel()
	}
	if a.client != nil {
		errs = append(errs, a.client.Shutdown())
	}
	if a.server != nil {
		errs = append(errs, a.server.Shutdown())
	}
	if a.remote != nil {
		a.remote.close()
	}
	errs = append(errs, a.obs.audit.Close())
	errs = append(errs, a.RemoveTempDir())
	return errors.Join(errs...)
}

// openFDs counts this process's open file descriptors (-1 if unknown).
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}
