package agent

import (
	"io"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// ClusterBackend is what the operator routes need beyond RPC: things that
// act on this agent's own server (gossip, snapshots).
type ClusterBackend interface {
	Members() ([]*structs.ServerMember, error)
	Join(addrs []string) (int, error)
	SnapshotSave(w io.Writer) error
	SnapshotRestore(r io.Reader) error
}

// maxSnapshotBody caps a restore upload.
const maxSnapshotBody = 1 << 30

func (s *HTTPServer) registerOperatorRoutes() {
	s.route("/v1/agent/members", map[string]door{http.MethodGet: agentAccess(read, s.agentMembers)})
	s.route("/v1/agent/join", map[string]door{
		http.MethodPut: agentAccess(write, s.agentJoin), http.MethodPost: agentAccess(write, s.agentJoin)})
	s.route("/v1/agent/force-leave", map[string]door{
		http.MethodPut: viaRPC(s.agentForceLeave), http.MethodPost: viaRPC(s.agentForceLeave)})
	s.route("/v1/operator/raft/configuration", map[string]door{http.MethodGet: viaRPC(s.raftConfiguration)})
	s.route("/v1/operator/raft/peer", map[string]door{http.MethodDelete: viaRPC(s.raftRemovePeer)})
	// A snapshot holds every token's hash and every job: management only.
	s.route("/v1/operator/snapshot", map[string]door{
		http.MethodGet: management("save a snapshot", s.snapshotSave),
		http.MethodPut: management("restore a snapshot", s.snapshotRestore)})
	s.registerKeyringRoutes()
}

func (s *HTTPServer) cluster() (ClusterBackend, error) {
	cb, ok := s.backend.(ClusterBackend)
	if !ok {
		return nil, badRequest("this agent cannot do cluster operations")
	}
	return cb, nil
}

// GET /v1/agent/members → the servers this agent's gossip knows.
func (s *HTTPServer) agentMembers(w http.ResponseWriter, r *http.Request) (any, error) {
	cb, err := s.cluster()
	if err != nil {
		return nil, err
	}
	m, err := cb.Members()
	if err != nil {
		return nil, err
	}
	return nonNil(m), nil
}

// PUT /v1/agent/join?address=A&address=B → {"num_joined": N}.
func (s *HTTPServer) agentJoin(w http.ResponseWriter, r *http.Request) (any, error) {
	addrs := r.URL.Query()["address"]
	if len(addrs) == 0 {
		return nil, badRequest("missing ?address= (the gossip address of a server to join)")
	}
	cb, err := s.cluster()
	if err != nil {
		return nil, err
	}
	n, err := cb.Join(addrs)
	if err != nil {
		return nil, err
	}
	return map[string]int{"num_joined": n}, nil
}

// PUT /v1/agent/force-leave?node=NAME removes a failed server.
func (s *HTTPServer) agentForceLeave(w http.ResponseWriter, r *http.Request) (any, error) {
	node := r.URL.Query().Get("node")
	if node == "" {
		return nil, badRequest("missing ?node= (the name of the server to remove)")
	}
	var out structs.GenericResponse
	if err := s.rpc(r, "Operator.ForceLeave", &structs.ForceLeaveRequest{Node: node}, &out); err != nil {
		return nil, err
	}
	return map[string]uint64{"index": out.Index}, nil
}

// GET /v1/operator/raft/configuration → the Raft peers.
func (s *HTTPServer) raftConfiguration(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.RaftConfigurationResponse
	if err := s.rpc(r, "Operator.RaftGetConfiguration", &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DELETE /v1/operator/raft/peer?address=A (or ?id=ID).
func (s *HTTPServer) raftRemovePeer(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	args := structs.RaftPeerRequest{ID: q.Get("id"), Address: q.Get("address")}
	if (args.ID == "") == (args.Address == "") {
		return nil, badRequest("give exactly one of ?id= or ?address=")
	}
	var out structs.GenericResponse
	if err := s.rpc(r, "Operator.RaftRemovePeer", &args, &out); err != nil {
		return nil, err
	}
	return map[string]uint64{"index": out.Index}, nil
}

// GET /v1/operator/snapshot streams the whole state. An error before the
// first byte is a normal JSON error; one after it aborts the response so
// the client sees a broken transfer, never a short "successful" file.
func (s *HTTPServer) snapshotSave(w http.ResponseWriter, r *http.Request) (any, error) {
	cb, err := s.cluster()
	if err != nil {
		return nil, err
	}
	lw := &lazyHeaderWriter{w: w, contentType: "application/octet-stream"}
	if err := cb.SnapshotSave(lw); err != nil {
		if !lw.started {
			return nil, err
		}
		s.logger.Error("snapshot save failed part-way", "error", err)
		panic(http.ErrAbortHandler)
	}
	if !lw.started {
		lw.Write(nil)
	}
	return nil, nil
}

// lazyHeaderWriter sends the headers with the first write.
type lazyHeaderWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyHeaderWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", l.contentType)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// PUT /v1/operator/snapshot restores a saved snapshot (leader only).
func (s *HTTPServer) snapshotRestore(w http.ResponseWriter, r *http.Request) (any, error) {
	cb, err := s.cluster()
	if err != nil {
		return nil, err
	}
	body := http.MaxBytesReader(w, r.Body, maxSnapshotBody)
	if err := cb.SnapshotRestore(body); err != nil {
		return nil, err
	}
	return map[string]bool{"restored": true}, nil
}
