package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/server/stream"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// TestEventStreamNamespaceACL: with ACLs on, a token that may read one
// namespace gets that namespace's events only, in both forms and gzip,
// never another namespace's; asking for a namespace it may not read is
// refused before anything is sent.
func TestEventStreamNamespaceACL(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	reader := clientToken(t, s, mgmt.SecretID, "prod-reader", `namespace "prod" { policy = "read" }`, 0)

	// Events published straight into the broker after the last index, as
	// the FSM's hook would: one allocation in each namespace.
	idx := s.EventBroker().LastIndex() + 10
	alloc := func(id, ns string) *stream.Event {
		a := &structs.Allocation{ID: id, Namespace: ns, JobID: "web", ClientStatus: "running", Metrics: &structs.AllocMetric{NodesEvaluated: 7}}
		return &stream.Event{Topic: stream.TopicAllocation, Type: "AllocationUpdated", Key: id, Namespace: ns,
			Index: idx, Payload: a, FilterKeys: []string{"web"}}
	}
	s.EventBroker().Publish(idx, []*stream.Event{alloc("in-prod", "prod"), alloc("in-default", "default")})

	read := func(req *transport.EventsRequest) string {
		t.Helper()
		es, err := s.OpenEventStream(req)
		if err != nil {
			t.Fatalf("open %+v: %v", req, err)
		}
		var buf bytes.Buffer
		if err := es.Run(context.Background(), &buf, func() {}); err != nil {
			t.Fatalf("run: %v", err)
		}
		if !req.Gzip {
			return buf.String()
		}
		zr, err := gzip.NewReader(&buf)
		if err != nil {
			t.Fatalf("gzip stream: %v", err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gzip stream: %v", err)
		}
		return string(plain)
	}
	for _, req := range []*transport.EventsRequest{
		{Namespace: "*", Index: idx - 1, AuthToken: reader},
		{Namespace: "prod", Index: idx - 1, AuthToken: reader, Full: true},
		{Namespace: "*", Index: idx - 1, AuthToken: reader, Gzip: true},
	} {
		got := read(req)
		if !strings.Contains(got, `"key":"in-prod"`) || strings.Contains(got, "in-default") {
			t.Errorf("prod reader (full %v, gzip %v) got:\n%s", req.Full, req.Gzip, got)
		}
		if has := strings.Contains(got, `"nodes_evaluated":7`); has != req.Full {
			t.Errorf("full %v: whole allocation sent %v:\n%s", req.Full, has, got)
		}
	}
	if all := read(&transport.EventsRequest{Namespace: "*", Index: idx - 1, AuthToken: mgmt.SecretID}); !strings.Contains(all, "in-default") {
		t.Errorf("management token lacks the default namespace's event:\n%s", all)
	}
	if _, err := s.OpenEventStream(&transport.EventsRequest{Namespace: "default", AuthToken: reader}); err == nil ||
		!strings.Contains(err.Error(), "ermission denied") {
		t.Errorf("prod reader asking for default: %v, want permission denied", err)
	}
}
