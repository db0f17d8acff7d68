package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// raftApplyTimeout bounds how long a write waits for Raft.
const raftApplyTimeout = 30 * time.Second

func (s *Server) raftConfig(id string) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(id)
	c.Logger = s.logger.Named("raft")
	c.NotifyCh = s.raftNotifyCh
	if s.config.DevMode {
		// A single in-memory voter: elect at once.
		c.HeartbeatTimeout = 50 * time.Millisecond
		c.ElectionTimeout = 50 * time.Millisecond
		c.LeaderLeaseTimeout = 50 * time.Millisecond
		c.CommitTimeout = 5 * time.Millisecond
	} else {
		scaleRaftTiming(c, s.config.RaftMultiplier)
	}
	c.SnapshotThreshold = 8192
	c.TrailingLogs = 10240
	return c
}

// setupRaft opens the log, stable and snapshot stores and starts Raft,
// bootstrapping a single-server cluster when that is what is configured.
func (s *Server) setupRaft() error {
	id, err := s.persistedID()
	if err != nil {
		return err
	}
	conf := s.raftConfig(id)
	// Every connection to another server proves the join token, if any.
	s.handshake = transport.NewHandshake(s.config.JoinToken, transport.ServerIdentity{ID: id, Addr: s.config.RPCAddr})
	s.connPool.Handshake = s.handshake
	s.setupRPCTLS(id)

	var (
		logs    raft.LogStore
		stable  raft.StableStore
		snaps   raft.SnapshotStore
		trans   raft.Transport
		closers []func() error
	)
	if s.config.DataDir == "" {
		store := raft.NewInmemStore()
		logs, stable = store, store
		snaps = raft.NewInmemSnapshotStore()
	} else {
		dir := filepath.Join(s.config.DataDir, "raft")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create raft dir: %w", err)
		}
		bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db"),
			// bolt waits forever on another process's flock; the agent's
			// data dir lock should have refused first, this is the backstop.
			BoltOptions: &bbolt.Options{Timeout: 5 * time.Second}})
		if err != nil {
			return fmt.Errorf("open raft log %s: %w", filepath.Join(dir, "raft.db"), err)
		}
		closers = append(closers, bolt.Close)
		logs, stable = bolt, bolt
		fss, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, s.logger.Named("snapshots"))
		if err != nil {
			return fmt.Errorf("open raft snapshots: %w", err)
		}
		snaps = fss
	}
	t, err := s.newRaftTransport()
	if err != nil {
		return err
	}
	closers = append([]func() error{t.Close}, closers...)
	trans = t
	s.raftCloser = func() error {
		var first error
		for _, c := range closers {
			if err := c(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}

	if s.config.BootstrapExpect == 1 {
		has, err := raft.HasExistingState(logs, stable, snaps)
		if err != nil {
			return fmt.Errorf("check raft state: %w", err)
		}
		if !has {
			cfg := raft.Configuration{Servers: []raft.Server{{
				ID: conf.LocalID, Address: trans.LocalAddr(), Suffrage: raft.Voter,
			}}}
			if err := raft.BootstrapCluster(conf, logs, stable, snaps, trans, cfg); err != nil {
				return fmt.Errorf("bootstrap raft: %w", err)
			}
		}
	}
	r, err := raft.NewRaft(conf, s.fsm, logs, stable, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	return s.setupMembership(id)
}

// newRaftTransport runs Raft over the shared RPC port: the accept loop
// hands connections that start with ConnRaft to the Raft layer.
func (s *Server) newRaftTransport() (*raft.NetworkTransport, error) {
	addr, err := net.ResolveTCPAddr("tcp", s.config.RPCAddr)
	if err != nil {
		return nil, fmt.Errorf("resolve rpc address %q: %w", s.config.RPCAddr, err)
	}
	s.raftLayer = transport.NewRaftLayer(addr, s.handshake)
	s.raftLayer.TLS = s.connPool.TLS
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  s.raftLayer,
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  s.logger.Named("raft-net"),
	}), nil
}

// raftApply writes one typed entry through Raft and returns the FSM's
// response and the entry's index. An error returned by the FSM is returned
// as the error.
func (s *Server) raftApply(t structs.MessageType, msg any) (uint64, error) {
	if s.raft.State() != raft.Leader {
		return 0, structs.ErrNoLeader
	}
	buf, err := structs.Encode(t, msg)
	if err != nil {
		return 0, fmt.Errorf("encode raft entry type %d: %w", t, err)
	}
	if err := s.checkDiskHeadroom(t, len(buf)); err != nil {
		return 0, err
	}
	defer metrics.Since(metrics.RaftApply.WithLabelValues(t.String()), time.Now())
	f := s.raft.Apply(buf, raftApplyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, structs.ErrNoLeader
		}
		return 0, s.diskFull(fmt.Errorf("raft apply: %w", err))
	}
	if err, ok := f.Response().(error); ok && err != nil {
		return f.Index(), err
	}
	return f.Index(), nil
}

// applyChecked runs write on the current state first and throws it away,
// then writes the entry through Raft. A write the state would refuse (a
// second bootstrap, a namespace that still holds jobs, an unknown name)
// is answered with the state's own message and leaves no entry in the
// log; the FSM still checks again when it applies.
func (s *Server) applyChecked(t structs.MessageType, msg any, write func(tx *state.WriteTxn) error) (uint64, error) {
	if err := s.State().Check(write); err != nil {
		return 0, err
	}
	return s.raftApply(t, msg)
}

// waitForIndex blocks until the local state has applied index.
func (s *Server) waitForIndex(ctx context.Context, index uint64) error {
	for {
		latest, err := s.State().LatestIndex()
		if err != nil {
			return err
		}
		if latest >= index {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for state index %d (at %d): %w", index, latest, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}
