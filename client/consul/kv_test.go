package consul_test

import (
	"context"
	"testing"

	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/hashicorp/consul/api"
)

// Key reads a real agent's KV: a present key with its value, a missing
// one as not found (no error), and an empty value as found.
func TestKey(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	for k, v := range map[string]string{"app/name": "web", "app/empty": ""} {
		if _, err := c.KV().Put(&api.KVPair{Key: k, Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	sc := newClient(t, c, "n1")
	ctx := context.Background()
	if v, found, err := sc.Key(ctx, "app/name"); err != nil || !found || v != "web" {
		t.Fatalf("app/name = %q, %v, %v", v, found, err)
	}
	if v, found, err := sc.Key(ctx, "app/empty"); err != nil || !found || v != "" {
		t.Fatalf("app/empty = %q, %v, %v", v, found, err)
	}
	if v, found, err := sc.Key(ctx, "app/none"); err != nil || found || v != "" {
		t.Fatalf("app/none = %q, %v, %v", v, found, err)
	}
	ca.Stop()
	if _, _, err := sc.Key(ctx, "app/name"); err == nil {
		t.Fatalf("a stopped Consul answered")
	}
}
