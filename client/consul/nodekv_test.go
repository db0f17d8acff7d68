package consul_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/hashicorp/consul/api"
)

func TestNodeKeyUnderSession(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	key := "appmesh/cluster/nodes/n1"
	pub := &consul.NodePublisher{API: c, Key: key, TTL: 10 * time.Second, Status: func() *consul.NodeStatus {
		return &consul.NodeStatus{Name: "n1", Leader: true, Labels: map[string]string{"rack": "r1"}}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(ctx) }()
	defer func() { cancel(); <-done }()

	first := waitKey(t, c, key, "")
	var st consul.NodeStatus
	if err := json.Unmarshal(first.Value, &st); err != nil || !st.Leader || st.Labels["rack"] != "r1" {
		t.Fatalf("node status %s (%v)", first.Value, err)
	}
	se, _, err := c.Session().Info(first.Session, nil)
	if err != nil || se == nil || se.Behavior != api.SessionBehaviorDelete || se.TTL != "10s" {
		t.Fatalf("session %+v (%v): want TTL 10s and behaviour delete", se, err)
	}
	// Destroying the session deletes the key; the publisher writes it
	// again under a new session.
	if _, err := c.Session().Destroy(first.Session, nil); err != nil {
		t.Fatal(err)
	}
	if p, _, err := c.KV().Get(key, nil); err != nil || p != nil {
		t.Fatalf("key still there after the session was destroyed: %+v (%v)", p, err)
	}
	waitKey(t, c, key, first.Session)
	cancel()
	<-done
	if p, _, err := c.KV().Get(key, nil); err != nil || p != nil {
		t.Fatalf("key still there after the publisher stopped: %+v (%v)", p, err)
	}
}

// waitKey waits for the key held by a session other than not.
func waitKey(t *testing.T, c *api.Client, key, not string) *api.KVPair {
	t.Helper()
	var p *api.KVPair
	waitUntil(t, "key "+key, func() (bool, string) {
		var err error
		p, _, err = c.KV().Get(key, nil)
		if err != nil {
			return false, err.Error()
		}
		return p != nil && p.Session != "" && p.Session != not, "missing or old session"
	})
	return p
}
