package api

import "github.com/appmesh/appmesh/structs"

// Drain starts draining a node (strategy != nil) or stops it, optionally
// making the node eligible again.
func (n *Nodes) Drain(nodeID string, strategy *structs.DrainStrategy, markEligible bool) (*WriteMeta, error) {
	body := map[string]any{"drain": strategy, "mark_eligible": markEligible}
	return n.c.write("PUT", "/v1/node/"+escapeID(nodeID)+"/drain", nil, body, nil)
}

// ToggleEligibility enables or disables scheduling on a node.
func (n *Nodes) ToggleEligibility(nodeID string, eligible bool) (*WriteMeta, error) {
	e := structs.NodeIneligible
	if eligible {
		e = structs.NodeEligible
	}
	body := map[string]string{"eligibility": e}
	return n.c.write("PUT", "/v1/node/"+escapeID(nodeID)+"/eligibility", nil, body, nil)
}
