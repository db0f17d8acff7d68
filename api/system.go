package api

import "github.com/appmesh/appmesh/structs"

// System is the /v1/system part of the API: cluster-wide maintenance.
type System struct{ c *Client }

// System returns the system endpoints.
func (c *Client) System() *System { return &System{c: c} }

// GarbageCollect forces a garbage collection on the leader with every
// threshold at zero and returns what it deleted.
func (s *System) GarbageCollect() (*structs.SystemGCResponse, error) {
	var out structs.SystemGCResponse
	if _, err := s.c.write("PUT", "/v1/system/gc", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Purge removes a node from the servers' state; its allocations are
// marked lost and rescheduled.
func (n *Nodes) Purge(nodeID string) (*structs.NodePurgeResponse, error) {
	var out structs.NodePurgeResponse
	if _, err := n.c.write("PUT", "/v1/node/"+escapeID(nodeID)+"/purge", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
