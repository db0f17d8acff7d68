package consul

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The registration of a service: ID prefix, host port of the label,
// checks by type (script as TTL). Runs without a Consul agent.
func TestRegistration(t *testing.T) {
	w := &Workload{AllocID: "a1", JobID: "j", Group: "g", Task: "t",
		Ports: []structs.AllocatedPort{{Label: "http", Value: 21000, To: 80}, {Label: "grpc", Value: 21001}}}
	s := &structs.Service{Name: "web", Port: "http", Meta: map[string]string{"team": "x"}, Checks: []*structs.Check{
		{Type: "http", Path: "health", Interval: structs.Duration(5 * time.Second), Timeout: structs.Duration(time.Second)},
		{Type: "tcp"},
		{Type: "grpc", Port: "grpc"},
		{Type: "script", Command: "/bin/true", Interval: structs.Duration(2 * time.Second), Timeout: structs.Duration(time.Second)},
	}}
	reg, err := w.registration(s, "10.0.0.5", "node-1")
	if err != nil {
		t.Fatal(err)
	}
	if reg.ID != "_appmesh-a1-task-t~web" || reg.Port != 21000 || reg.Address != "10.0.0.5" {
		t.Fatalf("registration %s port %d address %s", reg.ID, reg.Port, reg.Address)
	}
	if reg.Meta[MetaOwner] != "node-1" || reg.Meta["team"] != "x" || reg.Meta["appmesh_alloc_id"] != "a1" {
		t.Fatalf("meta %v", reg.Meta)
	}
	c := reg.Checks
	if len(c) != 4 || c[0].HTTP != "http://10.0.0.5:21000/health" || c[0].Interval != "5s" || c[1].TCP != "10.0.0.5:21000" ||
		c[2].GRPC != "10.0.0.5:21001" || c[3].TTL != "5s" || c[3].Interval != "" {
		t.Fatalf("checks %+v %+v %+v %+v", c[0], c[1], c[2], c[3])
	}
	if c[0].CheckID != "_appmesh-a1-task-t~web-check-0" {
		t.Fatalf("check ID %q", c[0].CheckID)
	}
	s.Port = "missing"
	if _, err := w.registration(s, "10.0.0.5", "node-1"); err == nil {
		t.Fatal("want an error for a port label the allocation does not hold")
	}
}

// No workload's key is a prefix of another's service IDs: a group and a
// task of the same name, or tasks "web" and "web-api", neither share IDs
// nor remove each other's services (RemoveWorkload matches by prefix).
func TestWorkloadKeysDoNotOverlap(t *testing.T) {
	svc := &structs.Service{Name: "api"}
	ws := []*Workload{
		{AllocID: "a1", Group: "web"},
		{AllocID: "a1", Group: "web", Task: "web"},
		{AllocID: "a1", Group: "web", Task: "web-api"},
		{AllocID: "a1", Group: "web", Task: "web-api-x"},
	}
	for i, a := range ws {
		for j, b := range ws {
			if i != j && strings.HasPrefix(b.ServiceID(svc), a.Key()) {
				t.Errorf("key %q of workload %d matches service %q of workload %d", a.Key(), i, b.ServiceID(svc), j)
			}
		}
	}
}
