package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

func (s *HTTPServer) registerNamespaceRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	s.route("/v1/namespaces", map[string]door{get: viaRPC(s.namespaceList)})
	s.route("/v1/namespace/{name}", map[string]door{
		get: viaRPC(s.namespaceGet), put: viaRPC(s.namespacePut), post: viaRPC(s.namespacePut), del: viaRPC(s.namespaceDelete)})
}

// GET /v1/namespaces → the namespaces the token may see.
func (s *HTTPServer) namespaceList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.NamespaceListResponse
	if err := s.rpc(r, structs.NamespaceListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Namespaces), nil
}

func (s *HTTPServer) namespaceGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.NamespaceSpecificRequest{Name: r.PathValue("name")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.NamespaceResponse
	if err := s.rpc(r, structs.NamespaceGetRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Namespace, nil
}

// PUT /v1/namespace/<name> with {"name", "description", "meta"} (all
// optional: an empty body creates the namespace).
func (s *HTTPServer) namespacePut(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	ns := structs.Namespace{Name: name}
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &ns); err != nil {
			return nil, err
		}
	}
	if ns.Name == "" {
		ns.Name = name
	}
	if ns.Name != name {
		return nil, badRequest("namespace name %q in the body does not match %q in the URL", ns.Name, name)
	}
	args := structs.NamespaceUpsertRequest{Namespaces: []*structs.Namespace{&ns}}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.NamespaceUpsertRPC, &args, &out); err != nil {
		return nil, err
	}
	var got structs.NamespaceResponse
	if err := s.rpc(r, structs.NamespaceGetRPC, &structs.NamespaceSpecificRequest{Name: name}, &got); err != nil {
		return nil, err
	}
	return got.Namespace, nil
}

func (s *HTTPServer) namespaceDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.NamespaceDeleteRequest{Names: []string{r.PathValue("name")}}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.NamespaceDeleteRPC, &args, &out); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
