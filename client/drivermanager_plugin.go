package client

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/builtin"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// PluginPrefix is the file name prefix of a third-party driver plugin in
// the plugin directory: "appmesh-driver-hello" serves the driver "hello".
// Other files in the directory are ignored, so that READMEs, configs and
// helper scripts can live next to the plugins.
const PluginPrefix = "appmesh-driver-"

// NewPluginDriverManager runs each driver as a go-plugin subprocess: the
// built-in ones as "<selfExe> driver-plugin <name>", third-party ones from
// the plugin directory. A plugin is launched on first use and shared by all
// tasks of its driver: one process per driver, not per task.
//
// Plugins outlive the agent. Each is started in its own session (a Ctrl-C
// on the agent's terminal does not reach it) with its log going to
// <data_dir>/plugins/<name>.log rather than to a pipe into the agent (a
// dead agent must not take its plugins down with SIGPIPE). How to reach
// it again (go-plugin's reattach config) is saved in the client state; the
// next agent re-attaches to it, or launches a new one if it is gone. A
// plugin that died is relaunched by the next Dispense.
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
	// Set by configure before use (the client does it in New).
	db        *state.DB
	logDir    string
	pluginDir string

	// grace is the plugins' idle grace (drivermanager_idle.go); 0: default.
	grace time.Duration

	mu       sync.Mutex
	plugins  map[string]*pluginEntry
	closed   bool
	stopPing context.CancelFunc
}

// pluginEntry has its own lock so that launching one driver does not hold
// up tasks of the others.
type pluginEntry struct {
	mu     sync.Mutex
	driver drivers.Driver
	client *plugin.Client
	// reattachTried: the saved plugin was tried once; later launches are new.
	reattachTried bool
}

// configure gives the manager the client's state and directories.
func (m *pluginDriverManager) configure(db *state.DB, dataDir, pluginDir string, idleGrace time.Duration) {
	m.db = db
	m.logDir = filepath.Join(dataDir, "plugins")
	m.pluginDir = pluginDir
	m.grace = idleGrace
	m.startPinger()
}

// Names lists the built-in drivers and the plugin directory's drivers.
func (m *pluginDriverManager) Names() []string {
	names := builtin.Names()
	for _, n := range m.thirdParty() {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// thirdParty lists the drivers in the plugin directory. A file that is not
// executable is still listed, so that launching it reports why it fails.
func (m *pluginDriverManager) thirdParty() []string {
	if m.pluginDir == "" {
		return nil
	}
	entries, err := os.ReadDir(m.pluginDir)
	if err != nil {
		m.logger.Warn("cannot read the plugin directory", "dir", m.pluginDir, "error", err)
		return nil
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), PluginPrefix)
		if ok && name != "" && !e.IsDir() {
			names = append(names, name)
		}
	}
	return names
}

// command builds the plugin's command line, or an error for an unknown
// driver. Built-in drivers win over a plugin file of the same name.
func (m *pluginDriverManager) command(name string) ([]string, error) {
	if slices.Contains(builtin.Names(), name) {
		return []string{m.selfExe, "driver-plugin", name}, nil
	}
	if slices.Contains(m.thirdParty(), name) {
		return []string{filepath.Join(m.pluginDir, PluginPrefix+name)}, nil
	}
	return nil, fmt.Errorf("unknown driver %q (available: %s)", name, strings.Join(m.Names(), ", "))
}

func (m *pluginDriverManager) Dispense(name string) (drivers.Driver, error) {
	argv, err := m.command(name)
	if err != nil {
		return nil, err
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
		e.client, e.driver = nil, nil
	}
	if !e.reattachTried {
		e.reattachTried = true
		if drv, client := m.reattach(name); drv != nil {
			e.driver, e.client = drv, client
			return drv, nil
		}
	}
	drv, client, err := m.launch(name, argv)
	if err != nil {
		return nil, err
	}
	e.driver, e.client = drv, client
	return drv, nil
}
