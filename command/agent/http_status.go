package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// GET /v1/status/leader → "127.0.0.1:6061" (the leader's RPC address; ""
// while there is none).
func (s *HTTPServer) statusLeader(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var leader string
	if err := s.rpc(r, structs.StatusLeaderRPC, &args, &leader); err != nil {
		return nil, err
	}
	// A pointer, because a nil result means "the handler wrote the response".
	return &leader, nil
}

// GET /v1/status/peers → ["127.0.0.1:6061", ...].
func (s *HTTPServer) statusPeers(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.StatusPeersResponse
	if err := s.rpc(r, structs.StatusPeersRPC, &args, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Peers), nil
}
