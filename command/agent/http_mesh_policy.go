package agent

import (
	"net/http"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// registerMeshPolicyRoutes wires the mesh's intentions and traffic splits.
// Every route is checked by its RPC's rule (server/endpoint_mesh_intentions.go,
// server/endpoint_mesh_splits.go): read-job in the namespace to read,
// submit-job in the destination's namespace to write. Bodies are strictly
// decoded and bounded by decodeBody.
func (s *HTTPServer) registerMeshPolicyRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	s.route("/v1/mesh/intentions", map[string]door{get: viaRPC(s.intentionList), post: viaRPC(s.intentionUpsert), put: viaRPC(s.intentionUpsert)})
	s.route("/v1/mesh/intentions/check", map[string]door{get: viaRPC(s.intentionCheck)})
	s.route("/v1/mesh/intention/{id}", map[string]door{get: viaRPC(s.intentionGet), del: viaRPC(s.intentionDelete)})
	s.route("/v1/mesh/splits", map[string]door{get: viaRPC(s.splitList), post: viaRPC(s.splitUpsert), put: viaRPC(s.splitUpsert)})
	s.route("/v1/mesh/split/{ns}/{service}", map[string]door{get: viaRPC(s.splitGet), del: viaRPC(s.splitDelete)})
}

// GET /v1/mesh/intentions[?namespace=N|*&index=&wait=] → {"intentions":
// [...], "default_allow": {"<ns>": bool}}: the intentions into N (or into
// any namespace) and N's effective default policy.
func (s *HTTPServer) intentionList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.IntentionListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.IntentionListResponse
	if err := s.rpc(r, structs.MeshIntentionListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	out.Intentions = nonNil(out.Intentions)
	return &out, nil
}

// POST /v1/mesh/intentions[?namespace=N&create_only=true] with an
// intention → the stored intention. Empty namespaces in the body are N.
func (s *HTTPServer) intentionUpsert(w http.ResponseWriter, r *http.Request) (any, error) {
	var in structs.Intention
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	createOnly, err := boolParam(r, "create_only")
	if err != nil {
		return nil, err
	}
	args := structs.IntentionUpsertRequest{Intention: &in, CreateOnly: createOnly}
	var out structs.IntentionUpsertResponse
	if err := s.rpc(r, structs.MeshIntentionUpsertRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return out.Intention, nil
}

// GET /v1/mesh/intention/<id>[?namespace=N|*] → one intention into N.
func (s *HTTPServer) intentionGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.IntentionListRequest{ID: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.IntentionListResponse
	if err := s.rpc(r, structs.MeshIntentionListRPC, &args, &out); err != nil {
		return nil, err
	}
	if len(out.Intentions) == 0 {
		return nil, notFound("intention %q not found in namespace %q (try ?namespace=*)", args.ID, namespaceOrDefault(args.Namespace))
	}
	setMeta(w, &out.QueryMeta)
	return out.Intentions[0], nil
}

// DELETE /v1/mesh/intention/<id>
func (s *HTTPServer) intentionDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.IntentionDeleteRequest{ID: r.PathValue("id")}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.MeshIntentionDeleteRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return struct{}{}, nil
}

// GET /v1/mesh/intentions/check?source=[ns/]svc&destination=[ns/]svc →
// {"allowed", "intention", "by_default", "default_allow", "reason"}.
// A bare service name is in ?namespace=.
func (s *HTTPServer) intentionCheck(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.IntentionCheckRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if q.Get("source") == "" || q.Get("destination") == "" {
		return nil, badRequest("source and destination are required: ?source=[ns/]service&destination=[ns/]service")
	}
	args.SourceNamespace, args.SourceName = splitMeshName(q.Get("source"))
	args.DestinationNamespace, args.DestinationName = splitMeshName(q.Get("destination"))
	var out structs.IntentionCheckResponse
	if err := s.rpc(r, structs.MeshIntentionCheckRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return &out, nil
}

// splitMeshName splits "ns/svc" (or a bare "svc", namespace empty).
func splitMeshName(s string) (ns, name string) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "", s
}

// GET /v1/mesh/splits[?namespace=N|*&index=&wait=] → the splits.
func (s *HTTPServer) splitList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.SplitListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SplitListResponse
	if err := s.rpc(r, structs.MeshSplitListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Splits), nil
}

// POST /v1/mesh/splits[?namespace=N] with a split: creates or replaces
// the split of its service.
func (s *HTTPServer) splitUpsert(w http.ResponseWriter, r *http.Request) (any, error) {
	var sp structs.MeshSplit
	if err := decodeBody(w, r, &sp); err != nil {
		return nil, err
	}
	args := structs.SplitUpsertRequest{Split: &sp}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.MeshSplitUpsertRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return struct{}{}, nil
}

// GET /v1/mesh/split/<ns>/<service> → the split of one service.
func (s *HTTPServer) splitGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.SplitListRequest{Service: r.PathValue("service")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	args.Namespace = r.PathValue("ns")
	var out structs.SplitListResponse
	if err := s.rpc(r, structs.MeshSplitListRPC, &args, &out); err != nil {
		return nil, err
	}
	if len(out.Splits) == 0 {
		return nil, notFound("no split for service %q in namespace %q", args.Service, args.Namespace)
	}
	setMeta(w, &out.QueryMeta)
	return out.Splits[0], nil
}

// DELETE /v1/mesh/split/<ns>/<service>
func (s *HTTPServer) splitDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.SplitDeleteRequest{Service: r.PathValue("service")}
	args.Namespace = r.PathValue("ns")
	var out structs.GenericResponse
	if err := s.rpc(r, structs.MeshSplitDeleteRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return struct{}{}, nil
}
