package bridgenet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Defaults of the client's bridge.
const (
	DefaultBridgeName = "appmesh0"
	DefaultSubnet     = "172.26.64.0/20"
	// netnsDir is where named network namespaces live (as with `ip netns`).
	netnsDir = "/var/run/netns"
)

// Config sets up a Manager.
type Config struct {
	// StateDir holds the address book (the client's data dir).
	StateDir string
	// BridgeName and Subnet default to appmesh0 and 172.26.64.0/20.
	BridgeName string
	Subnet     string
	// HostIP is the address the mapped ports listen on: "" all.
	HostIP string
	// NetnsPrefix names each allocation's namespace: prefix + alloc ID.
	NetnsPrefix string
	// DisableNAT leaves out the outbound NAT (nat.go): the allocations
	// then reach the host and each other, not other networks.
	DisableNAT bool
	// Sandbox holds the namespace of allocations with docker tasks (nil:
	// such allocations fail with the reason).
	Sandbox Sandbox
	// AgentAddr is the client agent's HTTP address (host:port). When it
	// is on loopback, an allocation whose Request asks for it gets a
	// listener at the same address inside its namespace that forwards to
	// the agent (forward_agent.go): its mesh proxies reach their config
	// at the address the node attribute appmesh.agent_addr names.
	AgentAddr string
	Logger    hclog.Logger
}

// Sandbox runs a process whose network namespace becomes an allocation's:
// the docker driver's pause container (drivers/docker/pause.go), which the
// allocation's docker tasks join by container name.
type Sandbox interface {
	// Start makes sure the allocation's sandbox runs and returns its PID.
	Start(allocID, hostname string) (int, error)
	// Remove stops it; a missing one is no error.
	Remove(allocID string) error
}

// Request is what one allocation's network needs.
type Request struct {
	Ports    []PortMap
	Hostname string
	// AgentForward asks for the agent's loopback address inside the
	// namespace (Config.AgentAddr): the group runs mesh proxies.
	AgentForward bool
	// Sandboxed puts the namespace in a Sandbox process (the group has
	// docker tasks) instead of a namespace file of its own.
	Sandboxed bool
}

// PortMap maps one host port to a port inside the allocation.
type PortMap struct {
	Label    string
	HostPort int
	TaskPort int
}

// AllocNet is an allocation's network as the tasks need it.
type AllocNet struct {
	// NetNSPath is the namespace file the tasks join.
	NetNSPath string
	// UTSPath is the UTS namespace with the allocation's host name, or ""
	// (no hostname asked for: the node's).
	UTSPath string
	IP      netip.Addr
	Gateway netip.Addr
}

// Manager owns the bridge and the allocations' namespaces.
type Manager struct {
	cfg    Config
	ipam   *IPAM
	logger hclog.Logger

	mu         sync.Mutex
	bridgeDone bool
	// fwds are the running forwarders (TCP and UDP) of each allocation.
	fwds map[string][]portForwarder
}

// New loads the address book; the kernel is touched only by Setup.
func New(cfg Config) (*Manager, error) {
	if cfg.BridgeName == "" {
		cfg.BridgeName = DefaultBridgeName
	}
	if cfg.Subnet == "" {
		cfg.Subnet = DefaultSubnet
	}
	if cfg.NetnsPrefix == "" {
		cfg.NetnsPrefix = "appmesh-"
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if len(cfg.BridgeName) > 15 {
		return nil, fmt.Errorf("bridge name %q is longer than the kernel's 15 characters", cfg.BridgeName)
	}
	subnet, err := netip.ParsePrefix(cfg.Subnet)
	if err != nil {
		return nil, fmt.Errorf("bridge subnet %q: %w", cfg.Subnet, err)
	}
	ipam, err := NewIPAM(filepath.Join(cfg.StateDir, "bridge", cfg.BridgeName+"-ipam.json"), subnet)
	if err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, ipam: ipam, logger: cfg.Logger.Named("bridge"), fwds: map[string][]portForwarder{}}, nil
}

// NetNSPath is where the allocation's namespace file is.
func (m *Manager) NetNSPath(allocID string) string {
	return filepath.Join(netnsDir, m.cfg.NetnsPrefix+allocID)
}

func (m *Manager) utsPath(allocID string) string {
	return filepath.Join(utsDir, m.cfg.NetnsPrefix+allocID)
}

// Setup gives the allocation its namespace, veth and address, and starts
// its port forwarders. It is idempotent: a restarted agent calls it again
// for a running allocation and re-attaches (same address, same namespace).
func (m *Manager) Setup(allocID string, req Request) (*AllocNet, error) {
	ports, hostname := req.Ports, req.Hostname
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.bridgeDone {
		if err := ensureBridge(m.cfg.BridgeName, m.ipam.Gateway(), m.ipam.Prefix()); err != nil {
			return nil, fmt.Errorf("setting up bridge %s: %w", m.cfg.BridgeName, err)
		}
		if !m.cfg.DisableNAT {
			// Without NAT the tasks still run and reach the host: a
			// warning, not a failed allocation.
			if err := ensureNAT(m.cfg.BridgeName, m.ipam.Prefix()); err != nil {
				m.logger.Warn("no outbound NAT for the bridge: its allocations reach only the host and each other", "bridge", m.cfg.BridgeName, "error", err)
			}
		}
		m.bridgeDone = true
	}
	ip, err := m.ipam.Allocate(allocID)
	if err != nil {
		return nil, err
	}
	an := &AllocNet{NetNSPath: m.NetNSPath(allocID), IP: ip, Gateway: m.ipam.Gateway()}
	if req.Sandboxed {
		if err := m.sandboxNS(allocID, hostname, an.NetNSPath); err != nil {
			m.teardownLocked(allocID)
			return nil, err
		}
	}
	if err := setupAllocNS(an, m.cfg.BridgeName, vethName(allocID), m.ipam.Prefix().Bits()); err != nil {
		m.teardownLocked(allocID)
		return nil, fmt.Errorf("setting up the allocation's network namespace: %w", err)
	}
	if hostname != "" {
		an.UTSPath = m.utsPath(allocID)
		if _, err := os.Stat(an.UTSPath); errors.Is(err, os.ErrNotExist) {
			if err := createUTS(an.UTSPath, hostname); err != nil {
				m.teardownLocked(allocID)
				return nil, fmt.Errorf("setting the allocation's host name: %w", err)
			}
		}
	}
	if len(m.fwds[allocID]) == 0 {
		if err := m.startForwarders(allocID, ip, ports); err != nil {
			m.teardownLocked(allocID)
			return nil, err
		}
		if req.AgentForward {
			m.startAgentForwarder(allocID, an.NetNSPath)
		}
	}
	m.logger.Info("allocation network ready", "alloc_id", allocID, "ip", ip.String(), "netns", an.NetNSPath)
	return an, nil
}

func (m *Manager) startForwarders(allocID string, ip netip.Addr, ports []PortMap) error {
	for _, p := range ports {
		to := p.TaskPort
		if to == 0 {
			to = p.HostPort
		}
		target := netip.AddrPortFrom(ip, uint16(to)).String()
		f, err := startForwarder(m.cfg.HostIP, p.HostPort, target, m.logger)
		if err != nil {
			return fmt.Errorf("port %q: mapping host port %d to %s: %w", p.Label, p.HostPort, target, err)
		}
		m.fwds[allocID] = append(m.fwds[allocID], f)
		// A port maps UDP too, as Nomad's do. The scheduler reserves port
		// numbers, not protocols, so a host UDP socket already on that
		// number is not this allocation's fault: TCP keeps working and the
		// log says why UDP does not.
		u, err := startUDPForwarder(m.cfg.HostIP, p.HostPort, target, m.logger)
		if err != nil {
			m.logger.Warn("cannot map the port for UDP; TCP only", "alloc_id", allocID, "port", p.Label, "host_port", p.HostPort, "error", err)
			continue
		}
		m.fwds[allocID] = append(m.fwds[allocID], u)
	}
	return nil
}

// portForwarder is a running TCP or UDP port mapping.
type portForwarder interface{ close() }

// RemoveBridge deletes the bridge and its NAT rules (tests; an operator's
// clean-up). Allocations still on it lose their network.
func (m *Manager) RemoveBridge() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bridgeDone = false
	return errors.Join(removeNAT(m.cfg.BridgeName, m.ipam.Prefix()), DeleteBridge(m.cfg.BridgeName))
}

// Detach stops the allocation's forwarders only (agent shutdown): the
// namespace stays for the running tasks and the next agent's Setup.
func (m *Manager) Detach(allocID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopForwarders(allocID)
}

func (m *Manager) stopForwarders(allocID string) {
	for _, f := range m.fwds[allocID] {
		f.close()
	}
	delete(m.fwds, allocID)
}

// Teardown stops the forwarders, deletes the veth and the namespace and
// frees the address. Missing pieces are no error.
func (m *Manager) Teardown(allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.teardownLocked(allocID)
}

// sandboxNS starts the allocation's sandbox and binds its network
// namespace at path, replacing a stale binding (a sandbox that was started
// again has a new namespace, and the old one's wiring goes with it).
func (m *Manager) sandboxNS(allocID, hostname, path string) error {
	if m.cfg.Sandbox == nil {
		return errors.New("docker tasks in network mode \"bridge\" need Docker on this client")
	}
	pid, err := m.cfg.Sandbox.Start(allocID, hostname)
	if err != nil {
		return fmt.Errorf("starting the allocation's network holder: %w", err)
	}
	proc := fmt.Sprintf("/proc/%d/ns/net", pid)
	if sameFile(proc, path) {
		return nil
	}
	if err := deleteNS(path); err != nil {
		return fmt.Errorf("removing a stale namespace binding: %w", err)
	}
	if err := deleteLink(vethName(allocID)); err != nil {
		return fmt.Errorf("removing a stale veth: %w", err)
	}
	return bindNS(proc, path)
}

// sameFile tells whether a and b are the same namespace (device and inode).
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

func (m *Manager) teardownLocked(allocID string) error {
	m.stopForwarders(allocID)
	var errs []error
	if m.cfg.Sandbox != nil {
		if err := m.cfg.Sandbox.Remove(allocID); err != nil {
			errs = append(errs, fmt.Errorf("removing the allocation's network holder: %w", err))
		}
	}
	if err := deleteLink(vethName(allocID)); err != nil {
		errs = append(errs, fmt.Errorf("deleting veth: %w", err))
	}
	if err := deleteNS(m.NetNSPath(allocID)); err != nil {
		errs = append(errs, fmt.Errorf("deleting network namespace: %w", err))
	}
	if err := deleteNS(m.utsPath(allocID)); err != nil {
		errs = append(errs, fmt.Errorf("deleting UTS namespace: %w", err))
	}
	if err := m.ipam.Release(allocID); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// vethName is the host side of an allocation's veth pair; the kernel
// allows 15 characters, so it is cut from the allocation ID.
func vethName(allocID string) string {
	id := allocID
	if len(id) > 8 {
		id = id[:8]
	}
	return "vam" + id
}

// deleteNS unmounts and removes a namespace file.
func deleteNS(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := unmountNS(path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Sweep tears down the networks this client's address book holds for
// allocations that keep returns false for: those collected while the
// agent was down, whose runner never came back to remove them.
func (m *Manager) Sweep(keep func(allocID string) bool) {
	for _, id := range m.ipam.Allocs() {
		if keep(id) {
			continue
		}
		m.logger.Info("removing the network of an allocation this client no longer runs", "alloc_id", id)
		if err := m.Teardown(id); err != nil {
			m.logger.Warn("removing a stale allocation network", "alloc_id", id, "error", err)
		}
	}
}
