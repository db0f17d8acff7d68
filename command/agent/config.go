package agent

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"
)

// Config is the agent's configuration, read from an HCL or JSON file
// (-config) and then overridden by the flags given on the command line.
type Config struct {
	Name       string `hcl:"name,optional"`
	Datacenter string `hcl:"datacenter,optional"`
	DataDir    string `hcl:"data_dir,optional"`
	BindAddr   string `hcl:"bind_addr,optional"`
	// AdvertiseAddr is the IP other agents use to reach this one; by
	// default the bind address, or when that is 0.0.0.0 the first private
	// address of this host.
	AdvertiseAddr string `hcl:"advertise_addr,optional"`
	LogLevel      string `hcl:"log_level,optional"`
	PluginDir     string `hcl:"plugin_dir,optional"`

	Ports  *Ports        `hcl:"ports,block"`
	Server *ServerConfig `hcl:"server,block"`
	Client *ClientConfig `hcl:"client,block"`
	// Consul is the Consul integration (config_consul.go); nil: off.
	Consul *ConsulConfig `hcl:"consul,block"`
	// ACL turns on access control (website/security.md).
	ACL *ACLConfig `hcl:"acl,block"`
	// HTTP tunes the HTTP API's defences against browsers.
	HTTP *HTTPConfig `hcl:"http,block"`
	// TLS secures the HTTP API and the RPC/Raft port (config_tls.go).
	TLS *TLSConfig `hcl:"tls,block"`
	// Audit records every write request (config_audit.go); nil: off.
	Audit *AuditConfig `hcl:"audit,block"`
	// AppMesh tunes App Mesh's REST API (config_appmesh.go).
	AppMesh *AppMeshConfig `hcl:"appmesh_api,block"`

	// DevMode is set by -dev only: server and client in one process with
	// in-memory state on 127.0.0.1.
	DevMode bool
}

// Ports are the agent's listening ports.
type Ports struct {
	HTTP   int `hcl:"http,optional"`
	RPC    int `hcl:"rpc,optional"`
	Gossip int `hcl:"gossip,optional"`
}

// ServerConfig enables and tunes the server.
type ServerConfig struct {
	Enabled         bool     `hcl:"enabled,optional"`
	BootstrapExpect int      `hcl:"bootstrap_expect,optional"`
	Join            []string `hcl:"join,optional"`
	NumSchedulers   int      `hcl:"num_schedulers,optional"`
	// RunGCAfter is how long finished remote runs are kept ("1h" default).
	RunGCAfter string `hcl:"run_gc_after,optional"`
	// JoinToken is a secret shared by the servers of a cluster: a gossip
	// member is made a Raft voter, and a connection is trusted as a server,
	// only after proving it knows the token (until TLS replaces it).
	JoinToken string `hcl:"join_token,optional"`
	// Garbage collection (config_gc.go): how long finished objects stay.
	GCInterval           string `hcl:"gc_interval,optional"`
	EvalGCThreshold      string `hcl:"eval_gc_threshold,optional"`
	BatchEvalGCThreshold string `hcl:"batch_eval_gc_threshold,optional"`
	JobGCThreshold       string `hcl:"job_gc_threshold,optional"`
	NodeGCThreshold      string `hcl:"node_gc_threshold,optional"`
	ACLTokenGCThreshold  string `hcl:"acl_token_gc_threshold,optional"`
	// Encrypt is the base64 gossip encryption key (-encrypt).
	Encrypt string `hcl:"encrypt,optional"`
	// FailoverHeartbeatTTL is how long a new leader waits for each node's
	// first heartbeat ("5m" default; config_failover.go).
	FailoverHeartbeatTTL string `hcl:"failover_heartbeat_ttl,optional"`
	// RaftMultiplier scales Raft's heartbeat, election and leader-lease
	// timeouts (1 by default; config_raft.go).
	RaftMultiplier int `hcl:"raft_multiplier,optional"`
	// The service mesh's CA (config_mesh_ca.go): the trust domain of its
	// first root and the lifetime of the leaves it signs.
	MeshTrustDomain string `hcl:"mesh_trust_domain,optional"`
	MeshLeafTTL     string `hcl:"mesh_leaf_ttl,optional"`
}

// ACLConfig is the agent's acl block.
type ACLConfig struct {
	Enabled bool `hcl:"enabled,optional"`
	// TokenCacheTTL bounds how long a resolved token is trusted by an
	// agent that is not a server ("30s" default).
	TokenCacheTTL string `hcl:"token_ttl,optional"`
	// Login tunes users' login (config_login.go).
	LoginTokenTTL   string `hcl:"login_token_ttl,optional"`
	LoginSessionTTL string `hcl:"login_session_ttl,optional"`
	LoginLockout    string `hcl:"login_lockout,optional"`
}

// HTTPConfig is the agent's http block.
type HTTPConfig struct {
	// AllowedHosts are the extra Host header values (DNS names) the API
	// answers to, besides IP literals, localhost and the agent's names.
	AllowedHosts []string `hcl:"allowed_hosts,optional"`
	// AllowedOrigins are extra browser origins (scheme://host:port) that
	// may call the API, for a web UI served elsewhere.
	AllowedOrigins []string `hcl:"allowed_origins,optional"`
}

// ClientConfig enables and tunes the client.
type ClientConfig struct {
	Enabled bool              `hcl:"enabled,optional"`
	Servers []string          `hcl:"servers,optional"`
	Meta    map[string]string `hcl:"meta,optional"`
	// RawExec enables the raw_exec driver (no isolation), off by default.
	RawExec bool `hcl:"raw_exec_enabled,optional"`
	// UserDenylist names OS users tasks may never run as on this client.
	UserDenylist []string `hcl:"user_denylist,optional"`
	// DockerVolumesEnabled allows docker tasks to bind-mount host paths.
	DockerVolumesEnabled bool `hcl:"docker_volumes_enabled,optional"`
	// DockerPrivilegedEnabled allows privileged docker containers.
	DockerPrivilegedEnabled bool `hcl:"docker_privileged_enabled,optional"`
	// ChrootEnv is what exec tasks see of the host: host path = path in
	// the task's root, each read-only (config_chroot.go). Empty: the
	// driver's default list.
	ChrootEnv map[string]string `hcl:"chroot_env,optional"`
	// Garbage collection of allocation directories (config_gc.go).
	GCInterval           string   `hcl:"gc_interval,optional"`
	GCDiskUsageThreshold *float64 `hcl:"gc_disk_usage_threshold,optional"`
	GCMaxAllocs          *int     `hcl:"gc_max_allocs,optional"`
	// PluginIdleGrace: a driver plugin with no task and no agent exits after it ("30m").
	PluginIdleGrace string `hcl:"plugin_idle_grace,optional"`
	// ArtifactLocalDirs are the directories task artifacts may be read
	// from; empty (the default) denies local artifact sources.
	ArtifactLocalDirs []string `hcl:"artifact_local_dirs,optional"`
	// ArtifactMaxSizeMB bounds one artifact's download and unpacked size
	// (1024 default).
	ArtifactMaxSizeMB int64 `hcl:"artifact_max_size_mb,optional"`
	// HostVolumes are directories offered to jobs by name
	// (config_host_volume.go).
	HostVolumes []*HostVolumeConfig `hcl:"host_volume,block"`
	// BridgeNetworkName and BridgeNetworkSubnet set up network mode
	// "bridge" (defaults appmesh0 and 172.26.64.0/20; see job-spec.md).
	BridgeNetworkName   string `hcl:"bridge_network_name,optional"`
	BridgeNetworkSubnet string `hcl:"bridge_network_subnet,optional"`
	// BridgeNetworkNAT masquerades the bridge's outbound traffic (default
	// true; needs the iptables command).
	BridgeNetworkNAT *bool `hcl:"bridge_network_nat,optional"`
}

// DefaultConfig is what an agent runs with before the file and flags.
func DefaultConfig() *Config {
	host, _ := os.Hostname()
	return &Config{
		Name:       host,
		Datacenter: "dc1",
		BindAddr:   "0.0.0.0",
		LogLevel:   "INFO",
		Ports:      &Ports{HTTP: 6060, RPC: 6061, Gossip: 6062},
		Server:     &ServerConfig{},
		Client:     &ClientConfig{},
		ACL:        &ACLConfig{},
		HTTP:       &HTTPConfig{},
	}
}

// DevConfig is the -dev configuration: everything on 127.0.0.1, in memory,
// raw_exec enabled.
func DevConfig() *Config {
	c := DefaultConfig()
	c.DevMode = true
	c.BindAddr = "127.0.0.1"
	c.LogLevel = "DEBUG"
	c.Server.Enabled = true
	c.Server.BootstrapExpect = 1
	c.Client.Enabled = true
	c.Client.RawExec = true
	return c
}

// LoadConfigFile reads an HCL or JSON agent configuration over base. Unknown
// settings are errors with their file and line.
func LoadConfigFile(path string, base *Config) error {
	var file Config
	if err := decodeConfigFile(path, &file); err != nil {
		return fmt.Errorf("read agent config: %w", err)
	}
	// Only what the file sets replaces the base values: scalars when not
	// zero, blocks field by field (overlay).
	overlay(base, &file)
	return nil
}

// overlay lays what a config file set over base, field by field and block
// by block: a value the file left zero keeps base's, so a file that adds a
// client { meta } to -dev keeps -dev's enabled client and raw_exec. The
// cost, as in Nomad's merge: a file cannot turn a boolean that -dev or an
// earlier file set back off, nor set a number back to zero.
func overlay(base, f *Config) {
	overlayValue(reflect.ValueOf(base).Elem(), reflect.ValueOf(f).Elem())
}

func overlayValue(dst, src reflect.Value) {
	for i := 0; i < src.NumField(); i++ {
		if !src.Type().Field(i).IsExported() {
			continue
		}
		d, v := dst.Field(i), src.Field(i)
		switch {
		case v.IsZero():
		case v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct && !d.IsNil():
			overlayValue(d.Elem(), v.Elem())
		default:
			d.Set(v)
		}
	}
}

// Validate checks the final configuration.
func (c *Config) Validate() error {
	var problems []string
	if !c.Server.Enabled && !c.Client.Enabled {
		problems = append(problems, "enable at least one of -server, -client (or use -dev)")
	}
	if c.Client.Enabled && !c.Server.Enabled && len(c.Client.Servers) == 0 {
		problems = append(problems, "a client-only agent needs -servers ADDR (a server's RPC address, repeatable)")
	}

	if net.ParseIP(c.BindAddr) == nil {
		problems = append(problems, fmt.Sprintf("bind address %q is not an IP address", c.BindAddr))
	}
	if d, err := time.ParseDuration(c.Server.RunGCAfter); c.Server.RunGCAfter != "" && (err != nil || d <= 0) {
		problems = append(problems, fmt.Sprintf("server run_gc_after %q is not a positive duration", c.Server.RunGCAfter))
	}
	problems = append(problems, c.Server.failoverProblems()...)
	problems = append(problems, c.Server.raftProblems()...)
	problems = append(problems, c.Server.meshCAProblems()...)
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		problems = append(problems, fmt.Sprintf("advertise address %q is not an IP address", c.AdvertiseAddr))
	}
	for name, p := range map[string]int{"http": c.Ports.HTTP, "rpc": c.Ports.RPC, "gossip": c.Ports.Gossip} {
		if p < 0 || p > 65535 {
			problems = append(problems, fmt.Sprintf("%s port %d is out of range", name, p))
		}
	}
	if !c.DevMode && c.Server.Enabled && c.DataDir == "" {
		problems = append(problems, "a server needs -data-dir (or use -dev for in-memory state)")
	}
	if c.Name == "" {
		problems = append(problems, "node name is empty: set -node")
	}
	problems = append(problems, c.HTTP.problems()...)
	problems = append(problems, c.ACL.loginProblems()...)
	problems = append(problems, c.gcProblems()...)
	problems = append(problems, chrootEnvProblems(c.Client.ChrootEnv)...)
	problems = append(problems, artifactConfigProblems(c.Client)...)
	problems = append(problems, hostVolumeProblems(c.Client)...)
	problems = append(problems, c.TLS.problems(c.Server.Enabled)...)
	problems = append(problems, gossipKeyProblems(c.Server.Encrypt)...)
	if err := c.AppMesh.validate(); err != nil {
		return err
	}
	if err := c.Audit.validate(); err != nil {
		return err
	}
	if c.Consul.On() {
		c.Consul.canonicalize()
		if _, _, err := c.Consul.durations(); err != nil {
			problems = append(problems, err.Error())
		}
		if err := c.Consul.checkKVFormat(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid agent configuration:\n  * %s", strings.Join(problems, "\n  * "))
	}
	return nil
}

// advertiseIP is the address others use to reach this agent.
func (c *Config) advertiseIP() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	ip := net.ParseIP(c.BindAddr)
	if ip == nil || !ip.IsUnspecified() {
		return c.BindAddr
	}
	if a := firstPrivateIP(); a != "" {
		return a
	}
	return "127.0.0.1"
}

// firstPrivateIP returns the first non-loopback IPv4 address of this host
// (in a container: the address on its network).
func firstPrivateIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.To4() == nil || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		return ipn.IP.String()
	}
	return ""
}

func (c *Config) serverDataDir() string {
	if c.DataDir == "" {
		return ""
	}
	return filepath.Join(c.DataDir, "server")
}
