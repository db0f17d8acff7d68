package client

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/builtin"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// NewPluginDriverManager runs each built-in driver as a go-plugin
// subprocess of selfExe ("<selfExe> driver-plugin <name>"), launched on
// first use and shared by all tasks: one process per driver, not per task,
// so the per-task overhead stays a process tree. A plugin that died is
// relaunched by the next Dispense.
func NewPluginDriverManager(selfExe string, logger hclog.Logger) DriverManager {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &pluginDriverManager{
		selfExe: selfExe,
		logger:  logger.Named("driver_mgr"),
		plugins: map[string]*pluginEntry{},
	}
}

type pluginDriverManager struct {
	selfExe string
	logger  hclog.Logger

	mu      sync.Mutex
	plugins map[string]*pluginEntry
	closed  bool
}

// pluginEntry has its own lock so that launching one driver does not hold
// up tasks of the others.
type pluginEntry struct {
	mu     sync.Mutex
	driver drivers.Driver
	client *plugin.Client
}

func (m *pluginDriverManager) Names() []string { return builtin.Names() }

func (m *pluginDriverManager) Dispense(name string) (drivers.Driver, error) {
	if !slices.Contains(builtin.Names(), name) {
		return nil, fmt.Errorf("unknown driver %q (available: %s)", name, strings.Join(builtin.Names(), ", "))
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("driver %q: client is shutting down", name)
	}
	e := m.plugins[name]
	if e == nil {
		e = &pluginEntry{}
		m.plugins[name] = e
	}
	m.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client != nil && !e.client.Exited() {
		return e.driver, nil
	}
	if e.client != nil {
		m.logger.Warn("driver plugin exited; relaunching", "driver", name)
		e.client.Kill()
	}
	cmd := exec.Command(m.selfExe, "driver-plugin", name)
	drv, client, err := drivers.Launch(cmd, m.logger.Named(name))
	if err != nil {
		return nil, fmt.Errorf("launch driver plugin %q: %w", name, err)
	}
	e.driver, e.client = drv, client
	m.logger.Debug("driver plugin launched", "driver", name)
	return drv, nil
}

// Shutdown kills every plugin process. A Dispense racing with it either
// fails or has its freshly launched plugin killed here.
func (m *pluginDriverManager) Shutdown() {
	m.mu.Lock()
	m.closed = true
	entries := make([]*pluginEntry, 0, len(m.plugins))
	for _, e := range m.plugins {
		entries = append(entries, e)
	}
	m.mu.Unlock()
	for _, e := range entries {
		e.mu.Lock()
		if e.client != nil {
			e.client.Kill()
		}
		e.mu.Unlock()
	}
}
