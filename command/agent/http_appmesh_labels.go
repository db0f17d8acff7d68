package agent

import (
	"context"
	"errors"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// amNodeMetaBackend is a backend whose agent runs a client: App Mesh's
// labels are the node's meta.
type amNodeMetaBackend interface {
	NodeMeta() (map[string]string, error)
	UpdateNodeMeta(ctx context.Context, set map[string]string, del []string) (map[string]string, error)
}

// nodeAccess needs node read|write (App Mesh's label-view, label-set,
// label-delete: the labels are this node's meta).
func nodeAccess(access string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeNode, access: access}}
}

func (s *HTTPServer) registerAppMeshLabelRoutes() {
	s.route("/appmesh/labels", map[string]door{
		http.MethodGet:  nodeAccess("read", s.amErrors(s.amLabels)),
		http.MethodPost: nodeAccess("write", s.amErrors(s.amLabelsReplace)),
	})
	s.route("/appmesh/label/{name}", map[string]door{
		http.MethodPut:    nodeAccess("write", s.amErrors(s.amLabelSet)),
		http.MethodDelete: nodeAccess("write", s.amErrors(s.amLabelDelete)),
	})
}

func (s *HTTPServer) amNodeMeta() (amNodeMetaBackend, error) {
	b, ok := s.backend.(amNodeMetaBackend)
	if !ok {
		return nil, amNoClient()
	}
	return b, nil
}

func amNoClient() error {
	return &httpError{code: http.StatusPreconditionFailed,
		msg: "this agent runs no client: labels are the meta of the agent's own node; send the request to a client agent"}
}

func amMetaErr(err error) error {
	if errors.Is(err, errNoClient) {
		return amNoClient()
	}
	return err
}

// GET /appmesh/labels: {"name": "value", ...}, the node's meta.
func (s *HTTPServer) amLabels(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := s.amNodeMeta()
	if err != nil {
		return nil, err
	}
	meta, err := b.NodeMeta()
	if err != nil {
		return nil, amMetaErr(err)
	}
	if meta == nil {
		meta = map[string]string{}
	}
	return meta, nil
}

// PUT /appmesh/label/{name}?value=v sets one label and answers them all.
func (s *HTTPServer) amLabelSet(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	if !q.Has("value") {
		return nil, badRequest("label %q: the query parameter value is required", r.PathValue("name"))
	}
	b, err := s.amNodeMeta()
	if err != nil {
		return nil, err
	}
	meta, err := b.UpdateNodeMeta(r.Context(), map[string]string{r.PathValue("name"): q.Get("value")}, nil)
	if err != nil {
		return nil, amMetaErr(err)
	}
	return meta, nil
}

// DELETE /appmesh/label/{name} removes one label (404 if there is none)
// and answers the others.
func (s *HTTPServer) amLabelDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := s.amNodeMeta()
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	meta, err := b.NodeMeta()
	if err != nil {
		return nil, amMetaErr(err)
	}
	if _, ok := meta[name]; !ok {
		return nil, notFound("label %q not found", name)
	}
	if meta, err = b.UpdateNodeMeta(r.Context(), nil, []string{name}); err != nil {
		return nil, amMetaErr(err)
	}
	return meta, nil
}

// POST /appmesh/labels with {"name": "value", ...} replaces all labels
// (App Mesh's older "update labels"): names not in the body are deleted.
func (s *HTTPServer) amLabelsReplace(w http.ResponseWriter, r *http.Request) (any, error) {
	var want map[string]string
	if err := decodeBody(w, r, &want); err != nil {
		return nil, err
	}
	b, err := s.amNodeMeta()
	if err != nil {
		return nil, err
	}
	cur, err := b.NodeMeta()
	if err != nil {
		return nil, amMetaErr(err)
	}
	var del []string
	for k := range cur {
		if _, ok := want[k]; !ok {
			del = append(del, k)
		}
	}
	meta, err := b.UpdateNodeMeta(r.Context(), want, del)
	if err != nil {
		return nil, amMetaErr(err)
	}
	return meta, nil
}
