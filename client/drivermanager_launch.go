package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/drivers"
	"github.com/hashicorp/go-plugin"
)

// pluginLogTail is how much of a plugin's log a launch error quotes.
const pluginLogTail = 2048

// launch starts a plugin detached from the agent and saves how to reach it.
func (m *pluginDriverManager) launch(name string, argv []string) (drivers.Driver, *plugin.Client, error) {
	if err := os.MkdirAll(m.logDir, 0o755); err != nil && m.logDir != "" {
		return nil, nil, fmt.Errorf("launch driver plugin %q: create log dir: %w", name, err)
	}
	logPath := m.logPath(name)
	// The plugin moves its own stderr (its log) into the file (see
	// drivers.Serve): go-plugin owns stderr as a pipe into this agent,
	// which the plugin must outlive. No shell is needed, so this works in
	// a FROM scratch image too.
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{drivers.PluginLogFileEnv + "=" + logPath,
		drivers.PluginIdleGraceEnv + "=" + m.idleGrace().String()}
	if m.logDir != "" {
		// go-plugin puts the plugin's socket in TMPDIR; a FROM scratch
		// image has no /tmp, the data dir always exists.
		cmd.Env = append(cmd.Env, "TMPDIR="+m.logDir)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// Plugins built on drivers.Serve move stderr into the log file
	// themselves; anything written before that (a plugin that fails to
	// start) is copied there too.
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open plugin log %s: %w", logPath, err)
	}
	defer logFile.Close()
	drv, client, err := drivers.LaunchWithStderr(cmd, m.logger.Named(name), logFile)
	if err != nil {
		return nil, nil, fmt.Errorf("launch driver plugin %q (%s): %w%s", name, argv[0], err, logTail(logPath))
	}
	if got := drv.Name(); got != name {
		client.Kill()
		return nil, nil, fmt.Errorf("driver plugin %s serves driver %q, not %q: rename the file to %s%s", argv[0], got, name, PluginPrefix, got)
	}
	m.save(name, client.ReattachConfig())
	m.logger.Info("driver plugin launched", "driver", name, "pid", cmd.Process.Pid, "log", logPath)
	return drv, client, nil
}

func (m *pluginDriverManager) logPath(name string) string {
	if m.logDir == "" {
		return os.DevNull
	}
	return filepath.Join(m.logDir, name+".log")
}

// reattach connects to the plugin an earlier agent left running. Any
// failure means launching a new one; the saved record is then replaced.
func (m *pluginDriverManager) reattach(name string) (drivers.Driver, *plugin.Client) {
	if m.db == nil {
		return nil, nil
	}
	rec, err := m.db.Driver(name)
	if err != nil || rec == nil {
		return nil, nil
	}
	rc, err := reattachConfig(rec)
	if err == nil {
		var drv drivers.Driver
		var client *plugin.Client
		if drv, client, err = drivers.Reattach(rc, m.logger.Named(name)); err == nil {
			m.logger.Info("re-attached to driver plugin", "driver", name, "pid", rec.Pid)
			return drv, client
		}
	}
	m.logger.Info("saved driver plugin is gone; launching a new one", "driver", name, "pid", rec.Pid, "error", err)
	return nil, nil
}

func (m *pluginDriverManager) save(name string, rc *plugin.ReattachConfig) {
	if m.db == nil || rc == nil || rc.Addr == nil {
		return
	}
	rec := &state.DriverRecord{
		Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion,
		Network: rc.Addr.Network(), Addr: rc.Addr.String(), Pid: rc.Pid,
	}
	if err := m.db.PutDriver(name, rec); err != nil {
		m.logger.Error("cannot save driver plugin; a restarted agent will launch a new one", "driver", name, "error", err)
	}
}

func reattachConfig(rec *state.DriverRecord) (*plugin.ReattachConfig, error) {
	var addr net.Addr
	var err error
	switch rec.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", rec.Addr)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", rec.Addr)
	default:
		err = fmt.Errorf("unknown network %q", rec.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("saved plugin address: %w", err)
	}
	if rec.Pid <= 0 || syscall.Kill(rec.Pid, 0) != nil {
		return nil, errors.New("saved plugin process is gone")
	}
	return &plugin.ReattachConfig{
		Protocol: plugin.Protocol(rec.Protocol), ProtocolVersion: rec.ProtocolVersion, Addr: addr, Pid: rec.Pid,
	}, nil
}

// logTail quotes the end of a plugin's log for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > pluginLogTail {
		b = b[len(b)-pluginLogTail:]
	}
	return "; plugin log (" + path + "): " + strings.TrimSpace(string(b))
}

// Shutdown kills every plugin process (dev agent). A Dispense racing with
// it either fails or has its freshly launched plugin killed here.
func (m *pluginDriverManager) Shutdown() {
	for _, e := range m.close() {
		e.mu.Lock()
		if e.client != nil {
			e.client.Kill()
		}
		e.mu.Unlock()
	}
	if m.db != nil {
		for _, n := range m.Names() {
			_ = m.db.DeleteDriver(n)
		}
	}
}

// Detach leaves every plugin that runs a task running for the next agent
// and stops using them; plugins without a task are stopped. The
// connections close when the agent exits.
func (m *pluginDriverManager) Detach() {
	m.close()
	m.releaseIdle(m.liveEntries())
}

func (m *pluginDriverManager) close() []*pluginEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.stopPing != nil {
		m.stopPing()
	}
	entries := make([]*pluginEntry, 0, len(m.plugins))
	for _, e := range m.plugins {
		entries = append(entries, e)
	}
	return entries
}
