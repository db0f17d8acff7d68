package drivers

import (
	"context"
	"fmt"
	"io"
	"net/rpc"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"
)

// Handshake is what the agent and a driver plugin check before talking: a
// binary that is not an appmesh driver plugin, or speaks another protocol
// version, is refused with a clear error instead of a hang.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "APPMESH_PLUGIN",
	MagicCookieValue: "a3f1c9e27b5d4e08-appmesh-driver",
}

// PluginName is the name the driver is dispensed under.
const PluginName = "driver"

// DriverPlugin is the go-plugin glue for a Driver over net/rpc. The plugin
// side sets Impl; the host side leaves it nil.
type DriverPlugin struct {
	Impl Driver
	// idle, set by Serve, ends the process once it is idle (plugin_idle.go).
	idle *idleMonitor
}

var _ plugin.Plugin = (*DriverPlugin)(nil)

// Server implements plugin.Plugin (plugin side).
func (p *DriverPlugin) Server(broker *plugin.MuxBroker) (any, error) {
	if p.Impl == nil {
		return nil, fmt.Errorf("driver plugin: no driver to serve")
	}
	return &RPCServer{impl: p.Impl, broker: broker, idle: p.idle}, nil
}

// Client implements plugin.Plugin (host side). It asks for the driver's
// name once, since Name cannot report an error later.
func (p *DriverPlugin) Client(broker *plugin.MuxBroker, c *rpc.Client) (any, error) {
	var name string
	if err := c.Call("Plugin.Name", new(any), &name); err != nil {
		return nil, fmt.Errorf("driver plugin: asking its name: %w", err)
	}
	return &RPCClient{client: c, name: name, broker: broker}, nil
}

// Serve serves d as a driver plugin from the current process and returns
// when the host goes away. It is what `appmesh driver-plugin NAME` and a
// third-party driver binary's main call. A nil logger logs JSON to stderr,
// which the host picks up and re-logs.
func Serve(d Driver, logger hclog.Logger) {
	// A plugin outlives the agent that started it (tasks survive agent
	// restarts); writing to the dead agent's stderr pipe, or the agent's
	// terminal hanging up, must not kill it. The signals are caught, not
	// ignored: an ignored signal stays ignored in every task the plugin
	// starts (a shell cannot even trap it), while a caught one is reset
	// to its default in the child. Started under nohup, SIGHUP arrives
	// ignored; catching it gives tasks their default back too.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE, syscall.SIGHUP)
	redirectStderr()
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{
			Name:       "driver." + d.Name(),
			Level:      hclog.Info,
			Output:     os.Stderr,
			JSONFormat: true,
		})
	}
	idle := newIdleMonitor(d, graceFromEnv(logger), logger, func() { os.Exit(0) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go idle.run(ctx)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &DriverPlugin{Impl: d, idle: idle}},
		Logger:          logger,
	})
}

// Launch starts cmd as a driver plugin and returns the driver it serves and
// the go-plugin client that owns the subprocess: Kill it to stop the plugin,
// and keep its ReattachConfig to reconnect to the plugin after an agent
// restart (see Reattach).
func Launch(cmd *exec.Cmd, logger hclog.Logger) (Driver, *plugin.Client, error) {
	return dispense(&plugin.ClientConfig{Cmd: cmd}, logger)
}

// LaunchWithStderr is Launch that also copies what the plugin writes to
// its stderr pipe (e.g. why it failed to start) into stderr.
func LaunchWithStderr(cmd *exec.Cmd, logger hclog.Logger, stderr io.Writer) (Driver, *plugin.Client, error) {
	return dispense(&plugin.ClientConfig{Cmd: cmd, Stderr: stderr}, logger)
}

// Reattach connects to a driver plugin that is still running from an
// earlier Launch, using the ReattachConfig saved from that client.
func Reattach(rc *plugin.ReattachConfig, logger hclog.Logger) (Driver, *plugin.Client, error) {
	return dispense(&plugin.ClientConfig{Reattach: rc}, logger)
}

func dispense(cfg *plugin.ClientConfig, logger hclog.Logger) (Driver, *plugin.Client, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cfg.HandshakeConfig = Handshake
	cfg.Plugins = plugin.PluginSet{PluginName: &DriverPlugin{}}
	cfg.AllowedProtocols = []plugin.Protocol{plugin.ProtocolNetRPC}
	cfg.Logger = logger
	client := plugin.NewClient(cfg)
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("starting driver plugin: %w", err)
	}
	raw, err := rpcClient.Dispense(PluginName)
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("dispensing driver plugin: %w", err)
	}
	d, ok := raw.(Driver)
	if !ok {
		client.Kill()
		return nil, nil, fmt.Errorf("driver plugin: dispensed %T, not a Driver", raw)
	}
	return d, client, nil
}

// PluginLogFileEnv names the file a plugin appends its log (stderr) to.
// The agent sets it so that a plugin's log survives the agent: stderr is
// otherwise a pipe into the agent, which may be gone.
const PluginLogFileEnv = "APPMESH_PLUGIN_LOG_FILE"

// redirectStderr points fd 2 at the log file named by PluginLogFileEnv.
func redirectStderr() {
	path := os.Getenv(PluginLogFileEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return // keep logging to the pipe
	}
	// Dup3, not syscall.Dup2: linux/arm64 has no dup2 system call.
	_ = unix.Dup3(int(f.Fd()), 2, 0)
	f.Close()
}
