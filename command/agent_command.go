package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/hashicorp/go-hclog"
	"github.com/mitchellh/cli"
)

func agentCommandFactory(ui cli.Ui) cli.CommandFactory {
	return func() (cli.Command, error) { return &AgentCommand{UI: ui}, nil }
}

// AgentCommand runs an agent in the foreground until interrupted.
type AgentCommand struct {
	UI cli.Ui
}

func (c *AgentCommand) Synopsis() string { return "Run an appmesh agent (server, client, or both)" }

func (c *AgentCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh agent [options]

  Runs an agent. -dev starts a server and a client in one process on
  127.0.0.1 with in-memory state, ready to run jobs.

Options:
  -dev                   Development mode: server + client, in memory, 127.0.0.1.
  -server                Run a server.
  -client                Run a client; alone, it needs -servers.
  -config FILE           Read an HCL or JSON configuration file first.
  -data-dir DIR          Where state is kept across restarts.
  -bind ADDR             Address to listen on (default 0.0.0.0; -dev: 127.0.0.1).
  -advertise ADDR        Address other agents use to reach this one (default:
                         the bind address, or the first private IP for 0.0.0.0).
  -http-port N           HTTP API port (default 6060).
  -rpc-port N            RPC and Raft port (default 6061).
  -gossip-port N         Gossip port (default 6062).
  -node NAME             Node name (default: the hostname).
  -dc NAME               Datacenter (default dc1).
  -bootstrap-expect N    Servers to wait for before bootstrapping (0 or 1: a
                         single server that elects itself at once).
  -join ADDR             Server to join (repeatable).
  -servers ADDR          Server a client connects to (repeatable).
  -plugin-dir DIR        Directory of third-party driver plugins.
  -log-level LEVEL       TRACE, DEBUG, INFO, WARN or ERROR.
  -meta KEY=VALUE        Client node metadata (repeatable).
  -encrypt KEY           Gossip encryption key of the servers (base64, 32
                         bytes; appmesh operator gossip keyring -generate).

  SIGHUP reads the -config files again (with the same flags over them):
  log_level and client meta change live, the TLS certificate, key and CA
  files are read again (open connections carry on); any other setting
  that changed is logged as needing a restart. A file that does not parse
  or validate changes nothing (the error is logged).

  Under systemd (Type=notify, NOTIFY_SOCKET set) the agent sends READY=1
  once its API listens, RELOADING=1 and READY=1 around a SIGHUP reload,
  and STOPPING=1 on shutdown.
`)
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type agentFlags struct {
	dev, server, client, aclEnabled bool
	dataDir, bind, node, dc         string
	encrypt                         string
	configFiles                     multiFlag
	advertise                       string
	pluginDir, logLevel             string
	httpPort, rpcPort, gossipPort   int
	bootstrapExpect                 int
	join, servers, meta             multiFlag
}

func (c *AgentCommand) parseFlags(args []string) (*agent.Config, error) {
	var f agentFlags
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.Usage = func() { c.UI.Error(c.Help()) }
	fs.BoolVar(&f.dev, "dev", false, "")
	fs.BoolVar(&f.server, "server", false, "")
	fs.BoolVar(&f.client, "client", false, "")
	fs.BoolVar(&f.aclEnabled, "acl-enabled", false, "")
	fs.Var(&f.configFiles, "config", "") // repeatable: read in order
	fs.StringVar(&f.dataDir, "data-dir", "", "")
	fs.StringVar(&f.bind, "bind", "", "")
	fs.StringVar(&f.advertise, "advertise", "", "")
	fs.StringVar(&f.node, "node", "", "")
	fs.StringVar(&f.dc, "dc", "", "")
	fs.StringVar(&f.pluginDir, "plugin-dir", "", "")
	fs.StringVar(&f.logLevel, "log-level", "", "")
	fs.IntVar(&f.httpPort, "http-port", 0, "")
	fs.IntVar(&f.rpcPort, "rpc-port", 0, "")
	fs.IntVar(&f.gossipPort, "gossip-port", 0, "")
	fs.IntVar(&f.bootstrapExpect, "bootstrap-expect", 0, "")
	fs.Var(&f.join, "join", "")
	fs.Var(&f.servers, "servers", "")
	fs.Var(&f.meta, "meta", "")
	fs.StringVar(&f.encrypt, "encrypt", "", "")
	if err := fs.Parse(args); err != nil {
		return nil, errAgentUsage
	}
	if fs.NArg() > 0 {
		c.UI.Error(fmt.Sprintf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
		return nil, errAgentUsage
	}
	cfg := agent.DefaultConfig()
	if f.dev {
		cfg = agent.DevConfig()
	}
	// Each file is read over the ones before it, as Nomad reads several
	// -config files: what a later file sets wins.
	for _, path := range f.configFiles {
		if err := agent.LoadConfigFile(path, cfg); err != nil {
			return nil, err
		}
	}
	// Flags given on the command line win over the file.
	var err error
	fs.Visit(func(fl *flag.Flag) {
		if err == nil {
			err = applyAgentFlag(cfg, &f, fl.Name)
		}
	})
	return cfg, err
}

func applyAgentFlag(cfg *agent.Config, f *agentFlags, name string) error {
	switch name {
	case "server":
		cfg.Server.Enabled = f.server
	case "client":
		cfg.Client.Enabled = f.client
	case "acl-enabled":
		cfg.ACL.Enabled = f.aclEnabled
	case "data-dir":
		cfg.DataDir = f.dataDir
	case "bind":
		cfg.BindAddr = f.bind
	case "advertise":
		cfg.AdvertiseAddr = f.advertise
	case "node":
		cfg.Name = f.node
	case "dc":
		cfg.Datacenter = f.dc
	case "plugin-dir":
		cfg.PluginDir = f.pluginDir
	case "log-level":
		cfg.LogLevel = f.logLevel
	case "http-port":
		cfg.Ports.HTTP = f.httpPort
	case "rpc-port":
		cfg.Ports.RPC = f.rpcPort
	case "gossip-port":
		cfg.Ports.Gossip = f.gossipPort
	case "bootstrap-expect":
		cfg.Server.BootstrapExpect = f.bootstrapExpect
	case "join":
		cfg.Server.Join = f.join
	case "servers":
		cfg.Client.Servers = f.servers
	case "encrypt":
		cfg.Server.Encrypt = f.encrypt
	case "meta":
		if cfg.Client.Meta == nil {
			cfg.Client.Meta = map[string]string{}
		}
		for _, kv := range f.meta {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("-meta %q: expected KEY=VALUE", kv)
			}
			cfg.Client.Meta[k] = v
		}
	}
	return nil
}

func (c *AgentCommand) Run(args []string) int {
	cfg, err := c.parseFlags(args)
	if err == errAgentUsage {
		return 2
	}
	if err != nil {
		c.UI.Error(err.Error())
		return 1
	}
	level := hclog.LevelFromString(cfg.LogLevel)
	if level == hclog.NoLevel {
		c.UI.Error(fmt.Sprintf("unknown log level %q: use TRACE, DEBUG, INFO, WARN or ERROR", cfg.LogLevel))
		return 1
	}
	// SIGHUP is caught from here on: one sent while the agent starts (a
	// `systemctl reload` right after `start`) must not kill it; it is
	// handled as a reload once the agent runs. SIGINT and SIGTERM still
	// stop a start that hangs.
	sigCh := make(chan os.Signal, 2)
	signal.Notify(sigCh, syscall.SIGHUP)
	defer signal.Stop(sigCh)
	logger := hclog.New(&hclog.LoggerOptions{Name: "agent", Level: level, Output: os.Stderr, TimeFormat: "2006-01-02T15:04:05.000Z07:00"})
	// Taken before the agent starts its plugins and tasks (see sdNotifier).
	sd := newSDNotifier()
	sdNotify := func(state string) {
		if err := sd.notify(state); err != nil {
			logger.Warn("systemd notification not sent", "error", err)
		}
	}
	a, err := agent.NewAgent(cfg, logger)
	if err != nil {
		c.UI.Error(fmt.Sprintf("Error starting agent: %v", err))
		return 1
	}
	c.UI.Output(fmt.Sprintf("==> appmesh agent started: HTTP API on %s", a.HTTPURL()))
	// The API listens and the agent runs: systemd may start what waits
	// for it (Type=notify).
	sdNotify("READY=1\nSTATUS=running, HTTP API on " + a.HTTPURL())

	signal.Notify(sigCh, os.Interrupt, syscall.SIGTERM)
	reload := func() {
		sdNotify(reloadingState())
		defer sdNotify("READY=1")
		next, err := c.parseFlags(args)
		if err == nil {
			_, err = a.Reload(context.Background(), next)
		}
		if err == nil {
			return
		}
		logger.Error("SIGHUP: configuration not reloaded; the running one stays", "error", err)
		// Certificates are rotated by files, not settings: a mistake in
		// the configuration must not keep expiring ones in use.
		if err := a.ReloadTLS(); err != nil {
			logger.Error("SIGHUP: TLS files not reloaded; keeping the old ones", "error", err)
		}
	}
	sig := waitStopSignal(sigCh, reload)
	c.UI.Output(fmt.Sprintf("==> caught %v, shutting down (again to force)", sig))
	sdNotify("STOPPING=1")
	done := make(chan error, 1)
	go func() { done <- a.Shutdown() }()
	select {
	case err := <-done:
		if err != nil {
			c.UI.Error(fmt.Sprintf("shutdown: %v", err))
			return 1
		}
	case <-sigCh:
		_ = a.RemoveTempDir()
		c.UI.Error("forced exit")
		return 1
	}
	return 0
}

// errAgentUsage marks bad flags or arguments (exit code 2).
var errAgentUsage = errors.New("usage error")

// waitStopSignal returns the first signal that stops the agent; SIGHUP
// reloads the configuration instead.
func waitStopSignal(sigCh <-chan os.Signal, reload func()) os.Signal {
	for sig := range sigCh {
		if sig != syscall.SIGHUP {
			return sig
		}
		reload()
	}
	return nil
}
