package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// Status is the RPC endpoint for cluster status.
type Status struct{ srv *Server }

// Leader returns the leader's RPC address ("" when there is none).
func (s *Status) Leader(args *structs.GenericRequest, reply *string) error {
	*reply = s.srv.Leader()
	return nil
}

// Peers returns the RPC addresses of the Raft voters.
func (s *Status) Peers(args *structs.GenericRequest, reply *structs.StatusPeersResponse) error {
	f := s.srv.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	reply.Peers = make([]string, 0, len(f.Configuration().Servers))
	for _, srv := range f.Configuration().Servers {
		reply.Peers = append(reply.Peers, string(srv.Address))
	}
	return nil
}
