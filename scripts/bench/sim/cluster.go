package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/appmesh/appmesh/server"
	"github.com/hashicorp/go-hclog"
)

// cluster is the in-process servers under test and the HTTP API of the
// first one.
type cluster struct {
	servers  []*server.Server
	rpcAddrs []string
	httpURL  string
	http     *agent.HTTPServer
	logger   hclog.Logger
}

// startCluster starts n in-process servers: one dev-mode server
// (bootstrapped at once), or n servers with gossip on free ports and
// bootstrap-expect n, joined to the first. The HTTP API runs on the first
// server; it forwards writes to the leader like any agent.
// With dataDir set, each server keeps its Raft log in BoltDB and its
// snapshots in files under dataDir/server-N, as a production server does;
// with dataDir empty, Raft stays in memory (log entries on the Go heap).
func startCluster(n, schedulers int, logLevel, dataDir string) (*cluster, error) {
	logger := hclog.New(&hclog.LoggerOptions{Name: "sim", Level: hclog.LevelFromString(logLevel), Output: os.Stderr})
	c := &cluster{logger: logger}
	var gossip []string
	for i := 0; i < n; i++ {
		rpcAddr, err := freeAddr("tcp")
		if err != nil {
			return nil, err
		}
		cfg := &server.Config{
			NodeName:        fmt.Sprintf("sim-server-%d", i+1),
			RPCAddr:         rpcAddr,
			BootstrapExpect: n,
			NumSchedulers:   schedulers,
			Logger:          logger.Named(fmt.Sprintf("server-%d", i+1)),
		}
		if dataDir != "" {
			cfg.DataDir = filepath.Join(dataDir, fmt.Sprintf("server-%d", i+1))
		}
		if n == 1 {
			cfg.DevMode = true
		} else {
			// In-memory Raft (no DataDir) with the production timeouts:
			// dev-mode timeouts are tuned for a lone voter.
			g, err := freeAddr("udp")
			if err != nil {
				return nil, err
			}
			cfg.GossipAddr = g
			cfg.Join = append([]string(nil), gossip...)
			gossip = append(gossip, g)
		}
		s, err := server.NewServer(cfg)
		if err != nil {
			c.Shutdown()
			return nil, fmt.Errorf("start server %d: %w", i+1, err)
		}
		c.servers = append(c.servers, s)
		c.rpcAddrs = append(c.rpcAddrs, rpcAddr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range c.servers {
		if err := s.WaitForLeader(ctx); err != nil {
			c.Shutdown()
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.Shutdown()
		return nil, err
	}
	c.http = agent.NewHTTPServer(logger.Named("http"), &backend{srv: c.servers[0]}, ln)
	c.httpURL = "http://" + ln.Addr().String()
	return c, nil
}

// leader returns the server that currently leads (nil when none does).
func (c *cluster) leader() *server.Server {
	for _, s := range c.servers {
		if s.IsLeader() {
			return s
		}
	}
	return nil
}

// Shutdown stops the HTTP API and every server. Workers cut off mid-plan
// log errors on the way down; they are not findings, so logging stops first.
func (c *cluster) Shutdown() {
	c.logger.SetLevel(hclog.Off)
	if c.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.http.Shutdown(ctx)
		cancel()
	}
	for _, s := range c.servers {
		_ = s.Shutdown()
	}
}

// backend adapts a server to the HTTP API: RPCs go in-process (forwarded
// to the leader by the server itself); there is no local client for logs.
type backend struct{ srv *server.Server }

func (b *backend) RPC(method string, args, reply any) error { return b.srv.RPC(method, args, reply) }

func (b *backend) StreamLogs(context.Context, string, string, string, bool, int64, io.Writer) error {
	return errors.New("logs: not found (the simulator runs no tasks)")
}

func (b *backend) Self() map[string]any {
	return map[string]any{"name": "appmesh-sim", "server": true, "client": false}
}

// freeAddr returns a free 127.0.0.1 port for network "tcp" or "udp". The
// gossip port must be free for both, so a UDP port is checked for TCP too.
func freeAddr(network string) (string, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := ln.Addr().String()
		if network == "udp" {
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				ln.Close()
				continue
			}
			pc.Close()
		}
		ln.Close()
		return addr, nil
	}
	return "", fmt.Errorf("no free %s port on 127.0.0.1", network)
}
