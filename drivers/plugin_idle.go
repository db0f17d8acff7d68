package drivers

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// A driver plugin outlives its agent so that tasks survive an agent
// restart. It must not outlive it for ever: a plugin whose agent was
// killed and never came back exits once it runs no task and a grace period
// has passed with neither a task nor a word from any agent. The agent
// pings every plugin it uses (HostPing); the grace leaves a restarted
// agent time to re-attach and collect the exit of a task that ended while
// it was down.

// PluginIdleGraceEnv carries the grace (a Go duration) from the agent to
// the plugins it launches.
const PluginIdleGraceEnv = "APPMESH_PLUGIN_IDLE_GRACE"

// DefaultPluginIdleGrace is the grace when the agent names none.
const DefaultPluginIdleGrace = 30 * time.Minute

// RunningTaskCounter is implemented by drivers whose tasks live and die
// with the plugin process (exec, raw_exec): it counts the tasks still
// running. A driver without it (docker: its containers live in dockerd
// and are recovered by a new plugin) counts as running none.
type RunningTaskCounter interface {
	RunningTasks() int
}

// PingInterval is how often an agent pings a plugin launched with grace:
// several pings per grace, so that one late ping is no absence.
func PingInterval(grace time.Duration) time.Duration {
	return min(max(grace/4, 50*time.Millisecond), 10*time.Second)
}

// RPCHostPing is HostPing's reply.
type RPCHostPing struct {
	// Running is how many tasks the plugin runs.
	Running int
}

// idleMonitor ends the plugin process once it is idle for grace.
type idleMonitor struct {
	grace  time.Duration
	driver Driver
	logger hclog.Logger
	exit   func()

	mu       sync.Mutex
	lastBusy time.Time // last ping from an agent, or last time a task ran
}

func newIdleMonitor(d Driver, grace time.Duration, logger hclog.Logger, exit func()) *idleMonitor {
	return &idleMonitor{grace: grace, driver: d, logger: logger, exit: exit, lastBusy: time.Now()}
}

// graceFromEnv reads PluginIdleGraceEnv; 0 means never exit when idle.
func graceFromEnv(logger hclog.Logger) time.Duration {
	v := os.Getenv(PluginIdleGraceEnv)
	if v == "" {
		return DefaultPluginIdleGrace
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		logger.Warn("bad idle grace from the agent; using the default", "value", v, "default", DefaultPluginIdleGrace)
		return DefaultPluginIdleGrace
	}
	return d
}

func (m *idleMonitor) running() int {
	if c, ok := m.driver.(RunningTaskCounter); ok {
		return c.RunningTasks()
	}
	return 0
}

// ping records a word from an agent and returns the running task count.
func (m *idleMonitor) ping() int {
	m.mu.Lock()
	m.lastBusy = time.Now()
	m.mu.Unlock()
	return m.running()
}

// idleFor says how long the plugin has had no task and no agent.
func (m *idleMonitor) idleFor(now time.Time) time.Duration {
	if m.running() > 0 {
		m.mu.Lock()
		m.lastBusy = now
		m.mu.Unlock()
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return now.Sub(m.lastBusy)
}

// run checks until ctx ends or the plugin is idle for the grace, then
// calls exit. A grace of 0 disables it.
func (m *idleMonitor) run(ctx context.Context) {
	if m.grace <= 0 {
		return
	}
	t := time.NewTicker(PingInterval(m.grace))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if idle := m.idleFor(now); idle >= m.grace {
				m.logger.Info("no task and no agent for the idle grace: exiting", "grace", m.grace, "idle", idle)
				m.exit()
				return
			}
		}
	}
}

// HostPing serves the agent's ping: the agent is alive and uses this
// plugin. The reply says how many tasks run in it.
func (s *RPCServer) HostPing(_ any, reply *RPCHostPing) error {
	if s.idle != nil {
		reply.Running = s.idle.ping()
		return nil
	}
	if c, ok := s.impl.(RunningTaskCounter); ok {
		reply.Running = c.RunningTasks()
	}
	return nil
}

// HostPing tells the plugin the agent is alive and returns how many tasks
// it runs.
func (c *RPCClient) HostPing(ctx context.Context) (int, error) {
	var reply RPCHostPing
	if err := c.call(ctx, "HostPing", new(any), &reply); err != nil {
		return 0, err
	}
	return reply.Running, nil
}
