package server

import (
	"slices"
	"sync/atomic"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/stream"
)

// eventFilter decides what one subscriber sees: its topics and keys, the
// namespaces its token may read (read-job), nodes only with node read and
// ACL events only with a management token. A topic named explicitly that
// the token may not read is refused; one reached through "*" is skipped.
type eventFilter struct {
	topics map[string][]string
	rules  atomic.Pointer[eventRules]
}

type eventRules struct {
	pol       *acl.ACL
	namespace string
	nodes     bool
	acls      bool
	// everything: every topic, every namespace, and a management token
	// (or ACLs off): keep skips the per-event checks, which were most of
	// what a dashboard's subscription cost per event.
	everything bool
}

func newEventFilter(pol *acl.ACL, namespace string, topics map[string][]string) (*eventFilter, error) {
	if namespace == "" {
		namespace = acl.DefaultNamespace
	}
	if err := checkEventNamespace(pol, namespace); err != nil {
		return nil, err
	}
	r := &eventRules{pol: pol, namespace: namespace, nodes: pol.AllowNodeRead(), acls: pol.IsManagement()}
	if _, ok := topics[stream.TopicNode]; ok && !r.nodes {
		return nil, pol.CheckNode(acl.PolicyRead)
	}
	if _, ok := topics[stream.TopicACL]; ok && !r.acls {
		return nil, pol.CheckManagement("read ACL events")
	}
	keys, star := topics[stream.TopicAll]
	r.everything = star && len(keys) == 0 && len(topics) == 1 && namespace == allNamespaces && r.acls && r.nodes
	f := &eventFilter{topics: topics}
	f.rules.Store(r)
	return f, nil
}

// set takes the rules of a re-checked filter.
func (f *eventFilter) set(from *eventFilter) { f.rules.Store(from.rules.Load()) }

func (f *eventFilter) keep(e *stream.Event) bool {
	if f.rules.Load().everything {
		return true
	}
	keys, ok := f.topics[e.Topic]
	if !ok {
		keys, ok = f.topics[stream.TopicAll]
	}
	if !ok {
		return false
	}
	if len(keys) > 0 && !slices.ContainsFunc(keys, e.MatchesKey) {
		return false
	}
	r := f.rules.Load()
	switch e.Topic {
	case stream.TopicNode:
		return r.nodes
	case stream.TopicACL:
		return r.acls
	}
	if r.namespace != allNamespaces && e.Namespace != r.namespace {
		return false
	}
	return r.pol.AllowNamespaceOperation(e.Namespace, acl.CapabilityReadJob)
}
