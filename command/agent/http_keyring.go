package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// registerKeyringRoutes: the gossip keyring of every server. Each call is
// one RPC, checked by its rule (agent write: the keys are secrets).
func (s *HTTPServer) registerKeyringRoutes() {
	s.route("/v1/operator/keyring", map[string]door{
		http.MethodGet:  viaRPC(s.keyringList),
		http.MethodPut:  viaRPC(s.keyringChange),
		http.MethodPost: viaRPC(s.keyringChange),
	})
}

// GET /v1/operator/keyring → every server's keys, the primary first.
func (s *HTTPServer) keyringList(w http.ResponseWriter, r *http.Request) (any, error) {
	var out structs.KeyringResponse
	if err := s.rpc(r, structs.KeyringRPC, &structs.KeyringRequest{Op: structs.KeyringList}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PUT /v1/operator/keyring {"op": "install|use|remove", "key": "..."}.
func (s *HTTPServer) keyringChange(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.KeyringRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	switch args.Op {
	case structs.KeyringInstall, structs.KeyringUse, structs.KeyringRemove:
	default:
		return nil, badRequest("op %q: want install, use or remove (GET lists the keys)", args.Op)
	}
	if args.Key == "" {
		return nil, badRequest("missing key (base64, 32 bytes)")
	}
	args.LocalOnly = false // only servers pass an operation on
	var out structs.KeyringResponse
	if err := s.rpc(r, structs.KeyringRPC, &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
