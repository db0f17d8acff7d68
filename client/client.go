// Package client is the node agent: it fingerprints the machine, registers
// the node and heartbeats, watches the node's allocations with a blocking
// query, runs an alloc runner per allocation and reports their state back
// in batches.
package client

import (
	"context"
	"errors"
	"fmt"
	"github.com/appmesh/appmesh/client/catalog"
	"github.com/appmesh/appmesh/client/mesh"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/client/bridgenet"
	"github.com/appmesh/appmesh/client/fingerprint"
	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
)

// finalFlushTimeout bounds the last status report sent during Shutdown.
const finalFlushTimeout = 2 * time.Second

// Config configures a client.
type Config struct {
	NodeName   string // default: the hostname
	Datacenter string // default: structs.DefaultDatacenter
	// DataDir holds the node ID and the allocation directories. Required.
	DataDir  string
	HTTPAddr string
	Meta     map[string]string
	// RawExecEnabled allows the raw_exec driver, which runs tasks without
	// any isolation.
	RawExecEnabled bool
	// UserDenylist names host users tasks may never run as, including the
	// agent's own user for exec and raw_exec tasks that set none.
	UserDenylist []string
	// DockerVolumesEnabled allows docker tasks to bind-mount host paths;
	// DockerPrivilegedEnabled allows privileged containers. Both off by
	// default: either gives a container the host.
	DockerVolumesEnabled    bool
	DockerPrivilegedEnabled bool
	// ChrootEnv is what isolated exec tasks see of the host (host path =
	// path inside, read-only); empty: the driver's default.
	ChrootEnv map[string]string
	// ArtifactLocalDirs are the directories artifacts may be read from
	// (none: local sources denied); ArtifactMaxSize bounds one artifact in
	// bytes (0: taskrunner.DefaultArtifactMaxSize).
	ArtifactLocalDirs []string
	ArtifactMaxSize   int64
	// HostVolumes are the directories offered to jobs by name; the node
	// advertises them and tasks mount them through volume_mount.
	HostVolumes map[string]*structs.ClientHostVolume
	// Reserved is capacity kept back for the host itself.
	Reserved *structs.Resources
	Logger   hclog.Logger
	// RPC reaches the servers. Required.
	RPC RPCer
	// FetchAllocData streams a previous allocation's data from its node
	// through the servers (transport.LogTypeAllocData), for
	// ephemeral_disk { migrate = true }; nil: data is not copied between
	// nodes.
	FetchAllocData func(ctx context.Context, req *transport.LogsRequest, w io.Writer) error
	// Drivers defaults to NewPluginDriverManager with this executable.
	Drivers DriverManager
	// PluginDir holds third-party driver plugins: every executable named
	// appmesh-driver-<name> serves the driver <name> (see
	// drivermanager_plugin.go). Empty: built-in drivers only.
	PluginDir string
	// PluginIdleGrace: a plugin with no task and no agent exits after it
	// (drivers/plugin_idle.go); 0 is drivers.DefaultPluginIdleGrace.
	PluginIdleGrace time.Duration
	// KillTasksOnShutdown makes Shutdown kill every task and driver plugin
	// (the dev agent). Otherwise tasks and plugins outlive the agent and
	// the next agent on the same data dir re-attaches to them.
	KillTasksOnShutdown bool
	// Services registers the allocations' services with the local Consul
	// agent (client/consul.ServiceClient); nil: no Consul.
	Services taskrunner.ServiceRegistrar
	// GC tunes the removal of finished allocations' directories (gc.go).
	GC GCConfig
	// ServiceAddress is the address the node's instances are registered
	// with in the built-in service catalog (the agent's advertise
	// address); empty: 127.0.0.1.
	ServiceAddress string
	// MeshLeaves gives the sidecar proxies their leaf certificates (the
	// mesh CA's client side); nil: this agent serves no proxy configs.
	MeshLeaves mesh.LeafSource
	// MeshConsul makes Consul the mesh of consul-provider services'
	// proxies (leaves, roots, intentions, instances); nil: appmesh's.
	MeshConsul *mesh.ConsulMesh
	// MeshTrustDomain overrides structs.MeshTrustDomain("global").
	MeshTrustDomain string
	// BridgeName and BridgeSubnet configure network mode "bridge"
	// (client/bridgenet); empty: appmesh0 and 172.26.64.0/20.
	BridgeName   string
	BridgeSubnet string
	// BridgeNoNAT leaves out the bridge's outbound NAT.
	BridgeNoNAT bool
}

// Client is the node agent.
type Client struct {
	cfg     Config
	logger  hclog.Logger
	rpcer   RPCer
	drivers DriverManager
	db      *state.DB
	// bridge sets up network mode "bridge" (bridge.go); nil: unavailable.
	bridge *bridgenet.Manager
	nodeID string
	// secretID proves to the servers that calls for nodeID are this
	// node's (never logged, never sent in the node itself).
	secretID string
	updater  *updater
	// catalog registers services with provider = "appmesh" (catalog.go).
	catalog *catalog.Registrar
	// mesh builds the sidecar proxies' configs (mesh_proxy.go), made on
	// the first request; meshMu guards it.
	meshMu     sync.Mutex
	mesh       *mesh.ConfigBuilder
	meshLeaves *mesh.LeafManager // the node's own, when cfg.MeshLeaves is nil
	meshClosed bool
	meshTokens *mesh.WorkloadTokens

	nodeMu sync.Mutex
	node   *structs.Node
	// metaMu orders run-time meta changes (node_meta.go): each is saved
	// and registered before the next starts, so the servers never get an
	// older meta last.
	metaMu sync.Mutex

	// ctx ends the heartbeat and alloc watch loops (owned by wg).
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// updaterCancel stops the updater, which outlives the other loops so
	// that the final task states of a shutdown still go out.
	updaterCancel context.CancelFunc
	updaterDone   chan struct{}
	// runnerWG tracks alloc runner goroutines and destroys.
	runnerWG sync.WaitGroup

	registered     chan struct{}
	registeredOnce sync.Once
	beat           beatStatus // the last heartbeat's outcome (health_status.go)
	// lastContact is when the servers last answered a registration or
	// heartbeat (unix nanoseconds; 0: never), for stop_after_client_disconnect.
	lastContact atomic.Int64

	allocMu sync.RWMutex
	allocs  map[string]*allocrunner.AllocRunner

	// Owned by the alloc watcher goroutine, which holds watchMu while it
	// applies an answer; the garbage collector (gc.go) takes it too.
	watchMu   sync.Mutex
	ignored   map[string]uint64 // allocs seen terminal with no runner → AllocModifyIndex
	collected map[string]bool   // finished allocs removed locally while still listed
	jobs      map[jobKey]*structs.Job
	allocJobs map[string]jobKey

	startOnce    sync.Once
	shutdownOnce sync.Once
	started      bool
}

// New checks the configuration, loads or creates the node ID and
// fingerprints the host. Drivers are fingerprinted by Start, because that
// launches their plugin processes.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("client: config is required")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("client: data dir is required")
	}
	if cfg.RPC == nil {
		return nil, errors.New("client: RPC is required")
	}
	c := &Client{
		cfg:        *cfg,
		logger:     cfg.Logger,
		rpcer:      cfg.RPC,
		drivers:    cfg.Drivers,
		registered: make(chan struct{}),
		allocs:     map[string]*allocrunner.AllocRunner{},
		ignored:    map[string]uint64{},
		collected:  map[string]bool{},
		jobs:       map[jobKey]*structs.Job{},
		allocJobs:  map[string]jobKey{},
	}
	if c.logger == nil {
		c.logger = hclog.NewNullLogger()
	}
	c.logger = c.logger.Named("client")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("client: create data dir: %w", err)
	}
	if err := MakeTraversable(cfg.DataDir, c.logger); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	id, err := loadOrCreateNodeID(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c.nodeID = id
	if c.secretID, err = loadOrCreateNodeSecret(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if c.drivers == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("client: find own executable for driver plugins: %w", err)
		}
		c.drivers = NewPluginDriverManager(exe, c.logger)
	}
	if c.db, err = state.Open(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if pm, ok := c.drivers.(*pluginDriverManager); ok {
		pm.configure(c.db, cfg.DataDir, cfg.PluginDir, cfg.PluginIdleGrace)
	}
	host, err := fingerprint.Fingerprint(context.Background(), cfg.DataDir, c.logger.Named("fingerprint"))
	if err != nil {
		c.db.Close()
		return nil, fmt.Errorf("client: %w", err)
	}
	c.node = c.buildNode(host)
	overrides, err := loadMetaOverrides(cfg.DataDir)
	if err != nil {
		c.db.Close()
		return nil, fmt.Errorf("client: %w", err)
	}
	overrides.apply(c.node.Meta) // labels changed at run time (node_meta.go)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.updater = newUpdater(c.logger.Named("updater"), c.sendUpdates)
	c.setupCatalog()
	if err := c.setupBridge(); err != nil {
		c.db.Close()
		return nil, fmt.Errorf("client: %w", err)
	}
	return c, nil
}

// NodeID is this node's persistent ID.
func (c *Client) NodeID() string { return c.nodeID }

// SecretID is this node's persistent secret, which the agent also sends
// when it announces the node on a session to a server.
func (c *Client) SecretID() string { return c.secretID }

// Node returns a copy of the node as registered with the servers.
func (c *Client) Node() *structs.Node {
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	return c.node.Copy()
}

// Start fingerprints the drivers and starts registration, heartbeats, the
// alloc watcher and the status updater. It does not wait for the servers:
// registration is retried in the background until they answer.
func (c *Client) Start() error {
	err := errors.New("client: already started or shut down")
	c.startOnce.Do(func() {
		err = nil
		c.fingerprintDrivers()
		c.restoreAllocs()
		c.sweepAllocDirs()
		c.started = true
		updCtx, updCancel := context.WithCancel(context.Background())
		c.updaterCancel = updCancel
		c.updaterDone = make(chan struct{})
		go func() {
			defer close(c.updaterDone)
			c.updater.run(updCtx)
		}()
		c.wg.Add(4)
		go c.heartbeatLoop()
		go c.watchAllocs()
		go c.gcLoop()
		go c.disconnectWatch()
		c.logger.Info("client started", "node_id", c.nodeID, "node_name", c.node.Name)
	})
	return err
}

// Shutdown stops the agent's side of this node's work: the heartbeat and
// alloc watch loops, the runners and the state database, after one last
// status report. Tasks keep running, and so do the driver plugins that own
// them: a new agent on the same data dir re-attaches to them. With
// KillTasksOnShutdown (the dev agent) every task and plugin is killed
// instead; the kills are not reported, so a restarted agent finds the
// allocations still desired and starts them again.
func (c *Client) Shutdown() error {
	// Claiming startOnce waits for a Start in progress and keeps a later
	// Start from running, so c.started is safe to read below.
	c.startOnce.Do(func() {})
	c.shutdownOnce.Do(func() {
		c.logger.Info("client shutting down", "kill_tasks", c.cfg.KillTasksOnShutdown)
		c.cancel()
		c.wg.Wait()
		if c.started {
			c.updaterCancel()
			<-c.updaterDone
			ctx, cancel := context.WithTimeout(context.Background(), finalFlushTimeout)
			if err := c.updater.flush(ctx); err != nil {
				c.logger.Warn("could not report final allocation states", "error", err)
			}
			cancel()
		}
		c.stopRunners()
		c.stopMesh()
		c.catalog.Shutdown()
		if c.cfg.KillTasksOnShutdown {
			c.drivers.Shutdown()
		} else if d, ok := c.drivers.(interface{ Detach() }); ok {
			d.Detach()
		}
		if err := c.db.Close(); err != nil {
			c.logger.Warn("closing the client state", "error", err)
		}
	})
	return nil
}

// stopRunners kills or detaches every runner and waits for them.
func (c *Client) stopRunners() {
	c.allocMu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.allocs))
	for _, ar := range c.allocs {
		runners = append(runners, ar)
	}
	c.allocMu.Unlock()
	for _, ar := range runners {
		if c.cfg.KillTasksOnShutdown {
			ar.KillAll("client shutting down")
		} else {
			ar.Detach()
		}
	}
	c.runnerWG.Wait()
	if c.cfg.KillTasksOnShutdown {
		// Nothing is left to re-attach to: a later agent on this data dir
		// starts the allocations afresh.
		for _, ar := range runners {
			c.forgetAlloc(ar.ID())
		}
	}
}

// fingerprintDrivers adds the drivers' fingerprints to the node.
func (c *Client) fingerprintDrivers() {
	infos := fingerprint.Drivers(c.ctx, c.drivers, c.cfg.RawExecEnabled, c.logger.Named("fingerprint"))
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	c.node.Drivers = infos
	for k, v := range fingerprint.DriverAttributes(infos) {
		c.node.Attributes[k] = v
	}
}

// buildNode assembles the node from the configuration and the host
// fingerprint.
func (c *Client) buildNode(host *fingerprint.Host) *structs.Node {
	name := c.cfg.NodeName
	if name == "" {
		name = host.Attributes["unique.hostname"]
	}
	dc := c.cfg.Datacenter
	if dc == "" {
		dc = structs.DefaultDatacenter
	}
	meta := make(map[string]string, len(c.cfg.Meta))
	for k, v := range c.cfg.Meta {
		meta[k] = v
	}
	var reserved *structs.Resources
	if c.cfg.Reserved != nil {
		r := *c.cfg.Reserved
		reserved = &r
	}
	attrs := make(map[string]string, len(host.Attributes)+2)
	for k, v := range host.Attributes {
		attrs[k] = v
	}
	// The servers' injected sidecar proxy task runs this binary and reads
	// its config from this agent (structs.ConnectProxyCommand).
	if exe, err := os.Executable(); err == nil {
		attrs[structs.AttrAppmeshBinary] = exe
	}
	if c.cfg.HTTPAddr != "" {
		attrs[structs.AttrAppmeshAgentAddr] = c.cfg.HTTPAddr
	}
	return &structs.Node{
		ID:                    c.nodeID,
		Name:                  name,
		Datacenter:            dc,
		HTTPAddr:              c.cfg.HTTPAddr,
		Attributes:            attrs,
		Meta:                  meta,
		Resources:             host.Resources,
		Reserved:              reserved,
		HostVolumes:           copyHostVolumes(c.cfg.HostVolumes),
		Status:                structs.NodeStatusReady,
		SchedulingEligibility: structs.NodeEligible,
	}
}

// MakeTraversable lets tasks that run as another user (user = "nobody")
// pass through a data dir to their own directories: it adds the execute
// bits (not read: nobody may list it) when they are missing. Secrets in the
// data dir are files of mode 0600. The agent calls it for its data dir, the
// client for its own; directories above are the operator's, and the exec
// driver names one that blocks a task's user.
func MakeTraversable(dir string, logger hclog.Logger) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o011 != 0o011 {
		if err := os.Chmod(dir, perm|0o011); err != nil {
			return fmt.Errorf("make data dir %s traversable: %w", dir, err)
		}
		logger.Info("made the data dir traversable so that tasks running as other users reach their directories",
			"data_dir", dir, "mode", perm|0o011)
	}
	return nil
}

func copyHostVolumes(in map[string]*structs.ClientHostVolume) map[string]*structs.ClientHostVolume {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]*structs.ClientHostVolume, len(in))
	for k, v := range in {
		if v != nil {
			c := *v
			out[k] = &c
		}
	}
	return out
}
