package server

import (
	"testing"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/stream"
)

// Only a subscription to every topic in every namespace with a management
// token skips the per-event checks; any narrower one keeps them, and a
// narrower token never sees what it may not read.
func TestEventFilterEverything(t *testing.T) {
	all := map[string][]string{stream.TopicAll: nil}
	reader, err := acl.Parse(`namespace "prod" { policy = "read" }
node { policy = "read" }`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		pol       *acl.ACL
		namespace string
		topics    map[string][]string
		want      bool
	}{
		{"management, every topic and namespace", acl.Management(), allNamespaces, all, true},
		{"management, one namespace", acl.Management(), "default", all, false},
		{"management, one topic", acl.Management(), allNamespaces, map[string][]string{stream.TopicJob: nil}, false},
		{"management, keys", acl.Management(), allNamespaces, map[string][]string{stream.TopicAll: {"web"}}, false},
		{"a prod reader", acl.New([]*acl.Policy{reader}), allNamespaces, all, false},
	} {
		f, err := newEventFilter(c.pol, c.namespace, c.topics)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := f.rules.Load().everything; got != c.want {
			t.Errorf("%s: everything = %v, want %v", c.name, got, c.want)
		}
		// The fast path must agree with the checks it skips.
		ev := &stream.Event{Topic: stream.TopicAllocation, Namespace: "default", Key: "a"}
		if c.want && !f.keep(ev) {
			t.Errorf("%s: an allocation event in default was dropped", c.name)
		}
		if c.name == "a prod reader" && f.keep(ev) {
			t.Errorf("%s: sees an allocation event of namespace default", c.name)
		}
	}
}
