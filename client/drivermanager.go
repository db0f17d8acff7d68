package client

import (
	"fmt"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/client/fingerprint"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/drivers"
)

// DriverManager hands out task drivers by name.
type DriverManager interface {
	// Dispense returns the named driver, starting it if needed.
	Dispense(name string) (drivers.Driver, error)
	// Names lists the drivers this manager can dispense.
	Names() []string
	// Shutdown stops every driver it started.
	Shutdown()
}

// NewInProcessDriverManager serves the given drivers from this process
// (tests, and embedding without subprocesses). Shutdown does nothing: the
// caller owns the drivers.
func NewInProcessDriverManager(ds map[string]drivers.Driver) DriverManager {
	m := make(map[string]drivers.Driver, len(ds))
	for k, v := range ds {
		m[k] = v
	}
	return inProcessDriverManager(m)
}

type inProcessDriverManager map[string]drivers.Driver

func (m inProcessDriverManager) Dispense(name string) (drivers.Driver, error) {
	if d, ok := m[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("unknown driver %q (available: %s)", name, strings.Join(m.Names(), ", "))
}

func (m inProcessDriverManager) Names() []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (m inProcessDriverManager) Shutdown() {}

// taskDriverSource is what task runners dispense drivers from. It enforces
// the client's driver settings: the scheduler should never place a task on
// a driver this node does not offer, but a node must not trust that.
type taskDriverSource struct {
	dm             DriverManager
	rawExecEnabled bool
}

func (c *Client) taskDrivers() *taskDriverSource {
	return &taskDriverSource{dm: c.drivers, rawExecEnabled: c.cfg.RawExecEnabled}
}

func (s *taskDriverSource) Dispense(name string) (drivers.Driver, error) {
	if name == fingerprint.RawExecName && !s.rawExecEnabled {
		return nil, fmt.Errorf("driver %q is %s", name, fingerprint.RawExecDisabled)
	}
	return s.dm.Dispense(name)
}

// taskPolicy is the client's allow-lists, enforced on every task whatever
// the ACLs let its job's submitter do (see taskrunner.Policy).
func (c *Client) taskPolicy() *taskrunner.Policy {
	return &taskrunner.Policy{
		UserDenylist:            c.cfg.UserDenylist,
		DockerVolumesEnabled:    c.cfg.DockerVolumesEnabled,
		DockerPrivilegedEnabled: c.cfg.DockerPrivilegedEnabled,
		RawExecEnabled:          c.cfg.RawExecEnabled,
		ChrootEnv:               c.cfg.ChrootEnv,
		ArtifactLocalDirs:       c.cfg.ArtifactLocalDirs,
		ArtifactMaxSize:         c.cfg.ArtifactMaxSize,
	}
}
