package client

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// Plugins exit by themselves once idle (drivers/plugin_idle.go); the agent
// keeps the ones it uses alive by pinging them, and on a clean stop ends
// the ones that run no task, so that a stopped agent with no tasks leaves
// no plugin process behind.

// hostPinger is the host side of a plugin (drivers.RPCClient).
type hostPinger interface {
	HostPing(ctx context.Context) (int, error)
}

// pingTimeout bounds one ping; a plugin that does not answer is left to
// Dispense, which relaunches it when its process is gone.
const pingTimeout = 5 * time.Second

// idleGrace is the grace given to plugins this manager launches.
func (m *pluginDriverManager) idleGrace() time.Duration {
	if m.grace > 0 {
		return m.grace
	}
	return drivers.DefaultPluginIdleGrace
}

// startPinger pings every plugin in use until the manager closes.
func (m *pluginDriverManager) startPinger() {
	ctx, cancel := context.WithCancel(context.Background())
	m.mu.Lock()
	m.stopPing = cancel
	m.mu.Unlock()
	go func() {
		t := time.NewTicker(drivers.PingInterval(m.idleGrace()))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				m.pingAll(ctx)
			}
		}
	}()
}

// liveEntries lists the plugins with a running process.
func (m *pluginDriverManager) liveEntries() map[string]*pluginEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]*pluginEntry, len(m.plugins))
	for name, e := range m.plugins {
		out[name] = e
	}
	return out
}

func (m *pluginDriverManager) pingAll(ctx context.Context) {
	for name, e := range m.liveEntries() {
		if _, err := e.ping(ctx); err != nil {
			m.logger.Debug("driver plugin did not answer a ping", "driver", name, "error", err)
		}
	}
}

// ping returns the plugin's running task count; -1 with no error when
// there is no live plugin to ask.
func (e *pluginEntry) ping(ctx context.Context) (int, error) {
	e.mu.Lock()
	drv, client := e.driver, e.client
	e.mu.Unlock()
	p, ok := drv.(hostPinger)
	if client == nil || client.Exited() || !ok {
		return -1, nil
	}
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return p.HostPing(ctx)
}

// releaseIdle ends, on a clean stop, every plugin that runs no task; the
// others stay for the next agent and exit by themselves if none comes.
func (m *pluginDriverManager) releaseIdle(entries map[string]*pluginEntry) {
	for name, e := range entries {
		n, err := e.ping(context.Background())
		if err != nil || n != 0 {
			if n > 0 {
				m.logger.Info("driver plugin keeps running for its tasks", "driver", name, "tasks", n)
			}
			continue
		}
		e.mu.Lock()
		if e.client != nil {
			e.client.Kill()
			e.client, e.driver = nil, nil
		}
		e.mu.Unlock()
		if m.db != nil {
			_ = m.db.DeleteDriver(name)
		}
		m.logger.Info("stopped idle driver plugin", "driver", name)
	}
}
