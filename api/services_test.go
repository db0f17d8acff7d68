package api

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The service calls hit the documented routes with their parameters (the
// routes themselves are tried against a real agent in e2e/services_test.go).
func TestServicesRequests(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/services":
			reply(w, "7", []*structs.ServiceStub{{ServiceName: "web", Namespace: "default", Instances: 2, Passing: 1}})
		case "/v1/service/web":
			reply(w, "8", []*structs.ServiceRegistration{{ID: "i1", ServiceName: "web", Port: 80, Status: "passing"}})
		default:
			reply(w, "9", map[string]any{})
		}
	})
	list, qm, err := c.Services().List(&QueryOptions{Namespace: "*"})
	if err != nil || len(list) != 1 || list[0].Passing != 1 || qm.LastIndex != 7 {
		t.Fatalf("list: %+v %+v %v", list, qm, err)
	}
	if q, _ := url.ParseQuery(last.query); q.Get("namespace") != "*" {
		t.Fatalf("list query %q", last.query)
	}
	inst, qm, err := c.Services().Get("web", &ServiceQuery{Tag: "v1", All: true}, &QueryOptions{WaitIndex: 7, WaitTime: 5 * time.Second})
	if err != nil || len(inst) != 1 || inst[0].Port != 80 || qm.LastIndex != 8 {
		t.Fatalf("get: %+v %+v %v", inst, qm, err)
	}
	q, _ := url.ParseQuery(last.query)
	if last.method != http.MethodGet || q.Get("tag") != "v1" || q.Get("all") != "true" || q.Get("index") != "7" || q.Get("wait") != "5s" {
		t.Fatalf("get: %s %s?%s", last.method, last.escapedPath, last.query)
	}
	if _, err := c.Services().Delete("web", "_appmesh-a-group-g~web"); err != nil {
		t.Fatal(err)
	}
	if last.method != http.MethodDelete || last.escapedPath != "/v1/service/web/_appmesh-a-group-g~web" {
		t.Fatalf("delete: %s %s", last.method, last.escapedPath)
	}
	if _, _, err := c.Services().Get("", nil, nil); err == nil {
		t.Fatal("Get without a name was sent")
	}
}
