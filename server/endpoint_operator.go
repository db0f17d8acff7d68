package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/raft"
)

// Operator is the RPC endpoint for cluster operations.
type Operator struct{ srv *Server }

// RaftGetConfiguration lists the Raft peers.
func (o *Operator) RaftGetConfiguration(args *structs.GenericRequest, reply *structs.RaftConfigurationResponse) error {
	if done, err := o.srv.forward("Operator.RaftGetConfiguration", args.AllowStale, args, reply); done {
		return err
	}
	f := o.srv.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	names := map[string]string{}
	for _, m := range o.srv.Members() {
		names[m.RPCAddr] = m.Name
	}
	leader := o.srv.Leader()
	for _, srv := range f.Configuration().Servers {
		reply.Servers = append(reply.Servers, &structs.RaftPeer{
			ID: string(srv.ID), Address: string(srv.Address), Node: names[string(srv.Address)],
			Leader: string(srv.Address) == leader, Voter: srv.Suffrage == raft.Voter,
		})
	}
	reply.Index = f.Index()
	return nil
}

// RaftRemovePeer removes a server from the Raft configuration by ID or
// address, e.g. a dead server that will not come back.
func (o *Operator) RaftRemovePeer(args *structs.RaftPeerRequest, reply *structs.GenericResponse) error {
	if done, err := o.srv.forward("Operator.RaftRemovePeer", false, args, reply); done {
		return err
	}
	if (args.ID == "") == (args.Address == "") {
		return errors.New("invalid: give exactly one of a peer ID or address")
	}
	f := o.srv.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	for _, srv := range f.Configuration().Servers {
		if string(srv.ID) == args.ID || string(srv.Address) == args.Address {
			if string(srv.Address) == o.srv.config.RPCAddr {
				return errors.New("invalid: refusing to remove the leader itself; stop it and remove it from another server")
			}
			if err := o.srv.raft.RemoveServer(srv.ID, 0, 0).Error(); err != nil {
				return fmt.Errorf("remove raft peer %s: %w", srv.ID, err)
			}
			reply.Index = o.srv.raft.LastIndex()
			return nil
		}
	}
	return fmt.Errorf("raft peer %s%s: %w", args.ID, args.Address, structs.ErrNotFound)
}

// ForceLeave marks a failed server as left so it is removed from Raft.
func (o *Operator) ForceLeave(args *structs.ForceLeaveRequest, reply *structs.GenericResponse) error {
	if done, err := o.srv.forward("Operator.ForceLeave", false, args, reply); done {
		return err
	}
	if o.srv.members == nil || !o.srv.members.markLeft(args.Node) {
		return fmt.Errorf("server %q: %w", args.Node, structs.ErrNotFound)
	}
	return o.srv.reconcilePeers()
}

// Members lists servers as this server's gossip sees them.
func (s *Status) Members(args *structs.GenericRequest, reply *structs.ServerMembersResponse) error {
	reply.Members = s.srv.Members()
	return nil
}

// snapshotMagic starts a snapshot file written by SnapshotSave.
const snapshotMagic = "appmesh-snapshot v1"

// SnapshotSave writes the whole state (a point-in-time FSM snapshot) to w.
func (s *Server) SnapshotSave(w io.Writer) error {
	snap, err := s.fsm.Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot state: %w", err)
	}
	defer snap.Release()
	index, _ := s.State().LatestIndex()
	hdr, _ := json.Marshal(map[string]any{"index": index, "leader": s.Leader()})
	if _, err := fmt.Fprintf(w, "%s %s\n", snapshotMagic, hdr); err != nil {
		return err
	}
	sink := &writerSink{w: w}
	if err := snap.Persist(sink); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return sink.err
}

// SnapshotRestore replaces the cluster's state with a saved snapshot,
// through Raft so every server restores it. Only the leader can do it.
func (s *Server) SnapshotRestore(r io.Reader) error {
	if !s.IsLeader() {
		// The leader is known here by its RPC address only: say which
		// address that is, and that the restore goes to its HTTP API.
		return fmt.Errorf("restore must be sent to the HTTP address (-address) of the leader's agent; "+
			"this server is a follower, the leader's RPC (not HTTP) address is %s", orNone(s.Leader()))
	}
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, snapshotMagic) {
		return errors.New("invalid: not an appmesh snapshot (missing header)")
	}
	tmp, err := os.CreateTemp("", "appmesh-restore-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, br)
	if err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	// Raft panics if the FSM cannot restore a user snapshot, so the whole
	// stream is decoded into a throwaway store first: a corrupt or
	// truncated file is refused with nothing changed.
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := state.Restore(bufio.NewReader(tmp), s.logger); err != nil {
		return fmt.Errorf("invalid: snapshot is corrupt or truncated: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: size}
	if err := s.raft.Restore(meta, tmp, 0); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	// Leader duties hold state derived from the old store: rebuild them.
	s.revokeLeadership()
	return s.reestablishLeadership()
}

// writerSink adapts an io.Writer to raft.SnapshotSink.
type writerSink struct {
	w   io.Writer
	err error
}

func (s *writerSink) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}
func (s *writerSink) Close() error  { return nil }
func (s *writerSink) ID() string    { return "user" }
func (s *writerSink) Cancel() error { return nil }

func orNone(s string) string {
	if s == "" {
		return "unknown (no leader)"
	}
	return s
}
