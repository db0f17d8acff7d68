package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/appmesh/appmesh/structs"
)

// Members lists the servers that this agent's server knows through gossip,
// with their status (alive, suspect, failed, left) and which one leads.
func (a *Agent) Members() ([]*structs.ServerMember, error) {
	var out []*structs.ServerMember
	if _, err := a.c.query("/v1/agent/members", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Join asks this agent's server to join the servers at the given gossip
// addresses ("host:port", default port 6062). It returns how many were
// contacted.
func (a *Agent) Join(addrs ...string) (int, error) {
	if len(addrs) == 0 {
		return 0, errors.New("join: give at least one server address")
	}
	params := url.Values{"address": addrs}
	var out struct {
		NumJoined int `json:"num_joined"`
	}
	if _, err := a.c.write(http.MethodPut, "/v1/agent/join", params, nil, &out); err != nil {
		return 0, err
	}
	return out.NumJoined, nil
}

// ForceLeave marks a failed server as left, so that it is removed from the
// Raft peers and no longer counts towards the quorum.
func (a *Agent) ForceLeave(node string) error {
	if node == "" {
		return fmt.Errorf("force-leave: the server's node name is required")
	}
	_, err := a.c.write(http.MethodPut, "/v1/agent/force-leave", url.Values{"node": {node}}, nil, nil)
	return err
}
