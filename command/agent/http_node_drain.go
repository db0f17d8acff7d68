package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

func (s *HTTPServer) registerNodeUpdateRoutes() {
	s.route("/v1/node/{id}/drain", map[string]door{http.MethodPut: viaRPC(s.nodeDrain), http.MethodPost: viaRPC(s.nodeDrain)})
	s.route("/v1/node/{id}/eligibility", map[string]door{
		http.MethodPut: viaRPC(s.nodeEligibility), http.MethodPost: viaRPC(s.nodeEligibility)})
}

// nodeDrainBody is PUT /v1/node/<id>/drain: {"drain": {"deadline": "1h"}}
// starts a drain, {"drain": null, "mark_eligible": true} stops one.
type nodeDrainBody struct {
	Drain        *structs.DrainStrategy `json:"drain"`
	MarkEligible bool                   `json:"mark_eligible,omitempty"`
}

func (s *HTTPServer) nodeDrain(w http.ResponseWriter, r *http.Request) (any, error) {
	var body nodeDrainBody
	if err := decodeBody(w, r, &body); err != nil {
		return nil, err
	}
	args := structs.NodeDrainRequest{NodeID: r.PathValue("id"), Drain: body.Drain, MarkEligible: body.MarkEligible}
	var out structs.GenericResponse
	if err := s.rpc(r, "Node.UpdateDrain", &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// nodeEligibilityBody is PUT /v1/node/<id>/eligibility: {"eligibility": "ineligible"}.
type nodeEligibilityBody struct {
	Eligibility string `json:"eligibility"`
}

func (s *HTTPServer) nodeEligibility(w http.ResponseWriter, r *http.Request) (any, error) {
	var body nodeEligibilityBody
	if err := decodeBody(w, r, &body); err != nil {
		return nil, err
	}
	args := structs.NodeEligibilityRequest{NodeID: r.PathValue("id"), Eligibility: body.Eligibility}
	var out structs.GenericResponse
	if err := s.rpc(r, "Node.UpdateEligibility", &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
