package command

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/mesh/proxy"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ConnectCommand groups the service mesh's data plane commands.
type ConnectCommand struct{ Meta }

func (c *ConnectCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "connect", synopsis: "Run the service mesh's sidecar proxy"}
}
func (c *ConnectCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *ConnectCommand) Help() string          { return c.ns().Help() }
func (c *ConnectCommand) Run(args []string) int { return c.ns().Run(args) }

// ConnectProxyCommand runs the sidecar proxy of one service.
type ConnectProxyCommand struct{ Meta }

func (c *ConnectProxyCommand) Synopsis() string {
	return "Run the sidecar proxy of a mesh service (mTLS, intentions, upstreams)"
}

func (c *ConnectProxyCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh connect proxy [options]

  Runs the service mesh's sidecar proxy: an mTLS listener that checks the
  caller's identity against intentions and forwards to the task, and one
  plain listener per upstream on 127.0.0.1 that dials the destination over
  mTLS. The client agent injects it as a sidecar task; it can also run by
  hand with a static config. The same command runs an ingress gateway
  (a config with "gateway": "ingress"): no inbound listener, and its
  upstream listeners on the node's address.

  The config comes from one of two sources:

    -config FILE   a static MeshProxyConfig in JSON, read again on SIGHUP
    -agent ADDR    the local client agent, followed with blocking queries

  SIGINT or SIGTERM stop it: listeners close at once, open connections get
  -drain-timeout to finish.

Options:

  -config=<file>
    A MeshProxyConfig as JSON (as GET ` + structs.MeshProxyConfigPath + ` returns it).

  -agent=<addr>
    The client agent's HTTP address. Default: $APPMESH_ADDR, else
    http://127.0.0.1:6060. HTTPS uses $APPMESH_CACERT, $APPMESH_CLIENT_CERT,
    $APPMESH_CLIENT_KEY and $APPMESH_TLS_SERVER_NAME.

  -alloc-id=<id>
    The allocation whose service this proxy fronts. Default: $APPMESH_ALLOC_ID.

  -service=<name>
    The service's name, as in the job's service block.

  -metrics-addr=<host:port|unix:path>
    Serve the proxy's Prometheus metrics at http://<addr>/metrics, or on a
    Unix socket (made 0600) with "unix:/path/to/metrics.sock". The
    endpoint has no ACL check: an injected proxy always gets a socket in
    its task directory, which the agent serves from /v1/metrics.

  -drain-timeout=<duration>
    How long open connections may take to finish on shutdown. Default: 5s.

  -log-level=<level>
    trace, debug, info, warn or error. Default: info.

  -max-procs=<n>
    How many CPUs the proxy's Go runtime runs on at once (GOMAXPROCS).
    Default: 0, adaptive: one while the proxy holds at most a few
    connections (no hand-off between OS threads: a shorter round trip),
    the CPUs the process may use once it holds more than 4 (many busy
    connections encrypt in parallel), back to one after 10s at 2 or
    fewer. $GOMAXPROCS, when set, fixes it instead.

  The ACL token is $APPMESH_TOKEN, else the file secrets/appmesh_token under
  $APPMESH_TASK_DIR when it exists.
`)
}

type connectProxyFlags struct {
	config, agent, allocID, service, metricsAddr, logLevel string
	drain                                                  time.Duration
	maxProcs                                               int
}

func (c *ConnectProxyCommand) parse(args []string) (*connectProxyFlags, int) {
	f := &connectProxyFlags{}
	fs := flag.NewFlagSet("connect proxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "", "")
	fs.StringVar(&f.agent, "agent", "", "")
	fs.StringVar(&f.allocID, "alloc-id", os.Getenv("APPMESH_ALLOC_ID"), "")
	fs.StringVar(&f.service, "service", "", "")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "")
	fs.StringVar(&f.logLevel, "log-level", "info", "")
	fs.DurationVar(&f.drain, "drain-timeout", 5*time.Second, "")
	fs.IntVar(&f.maxProcs, "max-procs", 0, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return nil, code
	}
	if f.config == "" && (f.allocID == "" || f.service == "") {
		return nil, c.usageError(c.Help(), "Give -config FILE, or -alloc-id (or $APPMESH_ALLOC_ID) and -service to follow the agent.")
	}
	if f.config != "" && f.agent != "" {
		return nil, c.usageError(c.Help(), "-config and -agent are two sources; give one.")
	}
	if f.maxProcs < 0 {
		return nil, c.usageError(c.Help(), "-max-procs must be 0 (adaptive) or more.")
	}
	if hclog.LevelFromString(f.logLevel) == hclog.NoLevel {
		return nil, c.usageError(c.Help(), "Unknown -log-level %q.", f.logLevel)
	}
	return f, -1
}

func (c *ConnectProxyCommand) Run(args []string) int {
	// Signals first: a SIGHUP that arrives once the proxy serves must
	// reload, never kill the process.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	f, code := c.parse(args)
	if code >= 0 {
		return code
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "connect-proxy", Level: hclog.LevelFromString(f.logLevel),
		Output: c.errOut(), TimeFormat: "2006-01-02T15:04:05.000Z07:00"})
	setProxyProcs(f.maxProcs, logger)
	reg := prometheus.NewRegistry()
	p := proxy.New(logger, reg)
	p.DrainTimeout = f.drain
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	procsDone := make(chan struct{})
	go func() {
		defer close(procsDone)
		adaptProxyProcs(ctx, f.maxProcs, p.OpenConns, logger)
	}()
	defer func() { cancel(); <-procsDone }()

	stopMetrics, err := serveProxyMetrics(f.metricsAddr, reg, logger)
	if err != nil {
		_ = p.Close()
		return c.errorf("Error: metrics listener: %v", err)
	}
	defer stopMetrics()

	var reload func()
	if f.config != "" {
		if err := loadProxyConfigFile(p, f.config); err != nil {
			_ = p.Close()
			return c.errorf("Error: %v", err)
		}
		reload = func() {
			if err := loadProxyConfigFile(p, f.config); err != nil {
				logger.Error("config not reloaded; serving the previous one", "file", f.config, "error", err)
				return
			}
			logger.Info("config reloaded", "file", f.config, "index", p.Config().Index)
		}
	} else {
		src, err := agentSource(f, logger)
		if err != nil {
			_ = p.Close()
			return c.errorf("Error: %v", err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = src.Watch(ctx, p.Update)
		}()
		defer func() { cancel(); <-done }()
	}
	logger.Info("proxy started", "service", f.service, "config", f.config, "agent", f.agent)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if reload != nil {
				reload()
			}
			continue
		}
		logger.Info("stopping: draining listeners", "signal", sig.String(), "drain_timeout", f.drain)
		break
	}
	cancel()
	dctx, dcancel := context.WithTimeout(context.Background(), f.drain)
	defer dcancel()
	p.Shutdown(dctx)
	return exitOK
}

func loadProxyConfigFile(p *proxy.Proxy, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("proxy config: %w", err)
	}
	var cfg structs.MeshProxyConfig
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("proxy config %s: %w", path, err)
	}
	if err := p.Update(&cfg); err != nil {
		return fmt.Errorf("proxy config %s: %w", path, err)
	}
	return nil
}

// serveProxyMetrics serves reg at /metrics on addr ("" serves nothing):
// host:port, or unix:PATH for a socket the agent reaches across a
// network namespace.
func serveProxyMetrics(addr string, reg *prometheus.Registry, logger hclog.Logger) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	var ln net.Listener
	var err error
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if path == "" {
			return nil, fmt.Errorf("-metrics-addr %q names no socket: write unix:/path/to/metrics.sock", addr)
		}
		ln, err = proxy.ListenUnix(path)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "error", err)
		}
	}()
	logger.Info("serving metrics", "addr", ln.Addr().String())
	return func() { _ = srv.Close(); <-done }, nil
}

// agentSource builds the blocking-query source from the flags and the
// environment a sidecar task gets.
func agentSource(f *connectProxyFlags, logger hclog.Logger) (*proxy.AgentSource, error) {
	addr := f.agent
	if addr == "" {
		addr = strings.TrimSpace(os.Getenv(api.EnvAddress))
	}
	if addr == "" {
		addr = api.DefaultAddress
	}
	token := os.Getenv(api.EnvToken)
	if dir := os.Getenv("APPMESH_TASK_DIR"); token == "" && dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, "secrets", "appmesh_token"))
		switch {
		case err == nil:
			token = strings.TrimSpace(string(b))
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("read the workload token: %w", err)
		}
	}
	client, err := agentHTTPClient()
	if err != nil {
		return nil, err
	}
	return &proxy.AgentSource{Address: addr, AllocID: f.allocID, Service: f.service, Token: token,
		Client: client, Logger: logger}, nil
}
