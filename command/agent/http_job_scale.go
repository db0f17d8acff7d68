package agent

import (
	"net/http"
	"strings"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
)

// jobScaleSub is PUT|POST /v1/job/<id>/scale.
const jobScaleSub = "scale"

// scaleBody is appmesh's form of a scale request.
type scaleBody struct {
	Group          string `json:"group"`
	Count          *int   `json:"count"`
	EnforceIndex   bool   `json:"enforce_index,omitempty"`
	JobModifyIndex uint64 `json:"job_modify_index,omitempty"`
}

// nomadScaleBody is Nomad's form: {"Count": 3, "Target": {"Group": "cache"}}.
// Message, Error and Meta describe a scaling event in Nomad; appmesh
// records the change as a new job version instead, so they are accepted
// and not kept.
type nomadScaleBody struct {
	Count          *int              `json:"Count"`
	Target         map[string]string `json:"Target"`
	Message        string            `json:"Message,omitempty"`
	Error          bool              `json:"Error,omitempty"`
	Meta           map[string]any    `json:"Meta,omitempty"`
	PolicyOverride bool              `json:"PolicyOverride,omitempty"`
	EnforceIndex   bool              `json:"EnforceIndex,omitempty"`
	JobModifyIndex uint64            `json:"JobModifyIndex,omitempty"`
}

// jobScale sets one group's count: {"group": "web", "count": 3} or
// Nomad's {"Count": 3, "Target": {"Group": "web"}}. The token needs
// scale-job or submit-job (checked by the Job.Scale RPC).
func (s *HTTPServer) jobScale(w http.ResponseWriter, r *http.Request, id string) (any, error) {
	data, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	args, err := decodeScaleBody(data)
	if err != nil {
		return nil, err
	}
	args.JobID = id
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.JobRegisterResponse
	if err := s.rpc(r, structs.JobScaleRPC, args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

func decodeScaleBody(data []byte) (*structs.JobScaleRequest, error) {
	args := &structs.JobScaleRequest{}
	if jobspec.HasTopLevelKey(data, "Count") || jobspec.HasTopLevelKey(data, "Target") {
		var b nomadScaleBody
		if err := jobspec.StrictDecodeJSON("request body", data, &b); err != nil {
			return nil, badRequest("%s", strings.TrimSpace(err.Error()))
		}
		for k := range b.Target {
			if k != "Group" && k != "Job" && k != "Namespace" {
				return nil, badRequest("request body: Target: unknown key %q: use Group (and optionally Job, Namespace)", k)
			}
		}
		if b.Target["Group"] == "" {
			return nil, badRequest(`request body: Target.Group is required: {"Count": 3, "Target": {"Group": "<group>"}}`)
		}
		if b.Count == nil {
			return nil, badRequest(`request body: Count is required: appmesh records no scaling events without a count`)
		}
		args.Group, args.Count = b.Target["Group"], *b.Count
		args.EnforceIndex, args.JobModifyIndex = b.EnforceIndex, b.JobModifyIndex
		return args, nil
	}
	var b scaleBody
	if err := jobspec.StrictDecodeJSON("request body", data, &b); err != nil {
		return nil, badRequest("%s", strings.TrimSpace(err.Error()))
	}
	if b.Group == "" || b.Count == nil {
		return nil, badRequest(`request body: "group" and "count" are required: {"group": "<group>", "count": 3}`)
	}
	args.Group, args.Count = b.Group, *b.Count
	args.EnforceIndex, args.JobModifyIndex = b.EnforceIndex, b.JobModifyIndex
	return args, nil
}
