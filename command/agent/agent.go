// Package agent is the appmesh agent process: it reads the configuration,
// wires a server and/or a client together, and serves the HTTP API.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/appmesh/appmesh/client"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/version"
	"github.com/hashicorp/go-hclog"
)

// Agent runs a server, a client, or both, and the HTTP API in front of them.
type Agent struct {
	config *Config
	logger hclog.Logger

	server *server.Server
	client *client.Client
	http   *HTTPServer

	httpAddr string
	tempDir  string // dev-mode data directory, removed on shutdown
}

// NewAgent starts everything the configuration enables. On error, whatever
// was started is stopped again.
func NewAgent(cfg *Config, logger hclog.Logger) (a *Agent, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a = &Agent{config: cfg, logger: logger}
	defer func() {
		if err != nil {
			_ = a.Shutdown()
		}
	}()
	if cfg.DevMode && cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "appmesh-dev-")
		if err != nil {
			return nil, fmt.Errorf("create dev data dir: %w", err)
		}
		a.tempDir = dir
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Ports.HTTP)))
	if err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s:%d: %w", cfg.BindAddr, cfg.Ports.HTTP, err)
	}
	a.httpAddr = ln.Addr().String()
	if cfg.Server.Enabled {
		if err := a.startServer(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if cfg.Client.Enabled {
		if err := a.startClient(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	a.http = NewHTTPServer(logger.Named("http"), a, ln)
	logger.Info("agent started", "http", a.httpAddr, "server", cfg.Server.Enabled, "client", cfg.Client.Enabled, "dev", cfg.DevMode)
	return a, nil
}

func (a *Agent) startServer() error {
	cfg := a.config
	srvCfg := &server.Config{
		NodeName:        cfg.Name,
		DataDir:         cfg.serverDataDir(),
		DevMode:         cfg.DevMode,
		RPCAddr:         net.JoinHostPort(cfg.advertiseIP(), strconv.Itoa(cfg.Ports.RPC)),
		BootstrapExpect: cfg.Server.BootstrapExpect,
		NumSchedulers:   cfg.Server.NumSchedulers,
		Logger:          a.logger,
	}
	s, err := server.NewServer(srvCfg)
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	a.server = s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitForLeader(ctx); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	return nil
}

func (a *Agent) startClient() error {
	cfg := a.config
	dataDir := a.tempDir
	if cfg.DataDir != "" {
		dataDir = filepath.Join(cfg.DataDir, "client")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable for driver plugins: %w", err)
	}
	c, err := client.New(&client.Config{
		NodeName:       cfg.Name,
		Datacenter:     cfg.Datacenter,
		DataDir:        dataDir,
		HTTPAddr:       a.httpAddr,
		Meta:           cfg.Client.Meta,
		RawExecEnabled: cfg.Client.RawExec,
		Logger:         a.logger,
		RPC:            a,
		Drivers:        client.NewPluginDriverManager(self, a.logger),
	})
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("start client: %w", err)
	}
	a.client = c
	return nil
}

// HTTPAddr is the address the HTTP API listens on.
func (a *Agent) HTTPAddr() string { return a.httpAddr }

// Server returns the agent's server, or nil.
func (a *Agent) Server() *server.Server { return a.server }

// Client returns the agent's client, or nil.
func (a *Agent) Client() *client.Client { return a.client }

// RPC serves the HTTP API's and the local client's calls.
func (a *Agent) RPC(method string, args any, reply any) error {
	if a.server == nil {
		return fmt.Errorf("rpc %s: this agent runs no server", method)
	}
	return a.server.RPC(method, args, reply)
}

// StreamLogs streams a task's output from the local client.
func (a *Agent) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	if a.client == nil {
		return errors.New("this agent runs no client: ask the agent of the allocation's node")
	}
	return a.client.StreamLogs(ctx, allocID, task, logType, follow, offset, w)
}

// Self describes the agent for GET /v1/agent/self.
func (a *Agent) Self() map[string]any {
	cfg := a.config
	out := map[string]any{
		"name":       cfg.Name,
		"datacenter": cfg.Datacenter,
		"version":    version.String(),
		"dev_mode":   cfg.DevMode,
		"http_addr":  a.httpAddr,
		"server":     cfg.Server.Enabled,
		"client":     cfg.Client.Enabled,
		"ports":      map[string]int{"http": cfg.Ports.HTTP, "rpc": cfg.Ports.RPC, "gossip": cfg.Ports.Gossip},
	}
	if a.server != nil {
		out["leader"] = a.server.Leader()
		out["is_leader"] = a.server.IsLeader()
	}
	if a.client != nil {
		out["node_id"] = a.client.NodeID()
	}
	return out
}

// Shutdown stops the HTTP API, then the client, then the server.
func (a *Agent) Shutdown() error {
	var errs []error
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.http.Shutdown(ctx))
		cancel()
	}
	if a.client != nil {
		errs = append(errs, a.client.Shutdown())
	}
	if a.server != nil {
		errs = append(errs, a.server.Shutdown())
	}
	if a.tempDir != "" {
		errs = append(errs, os.RemoveAll(a.tempDir))
	}
	return errors.Join(errs...)
}
