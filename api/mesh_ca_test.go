package api

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The mesh CA calls hit their routes (tried against a real agent in
// command/mesh_ca_test.go).
func TestMeshCARequests(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/mesh/ca/roots":
			reply(w, "12", &structs.MeshCARootsResponse{TrustDomain: "global.appmesh", Roots: []*structs.MeshCARoot{{ID: "r1", Active: true}}})
		case "/v1/mesh/ca/rotate":
			reply(w, "13", &structs.MeshRotateRootResponse{Root: &structs.MeshCARoot{ID: "r2", Active: true}, RetiredID: "r1"})
		default:
			http.NotFound(w, r)
		}
	})
	roots, qm, err := c.MeshCA().Roots(&QueryOptions{WaitIndex: 11, WaitTime: 5 * time.Second})
	if err != nil || len(roots.Roots) != 1 || roots.Roots[0].ID != "r1" || roots.TrustDomain != "global.appmesh" || qm.LastIndex != 12 {
		t.Fatalf("roots: %+v %+v %v", roots, qm, err)
	}
	if q, _ := url.ParseQuery(last.query); last.method != http.MethodGet || q.Get("index") != "11" || q.Get("wait") != "5s" {
		t.Fatalf("roots: %s ?%s", last.method, last.query)
	}
	rot, err := c.MeshCA().Rotate()
	if err != nil || rot.Root.ID != "r2" || rot.RetiredID != "r1" {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	if last.method != http.MethodPost || last.escapedPath != "/v1/mesh/ca/rotate" {
		t.Fatalf("rotate: %s %s", last.method, last.escapedPath)
	}
}
