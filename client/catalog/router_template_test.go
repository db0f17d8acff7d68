package catalog

import (
	"context"
	"testing"

	"github.com/appmesh/appmesh/client/consul"
)

// consulWithKV is a Consul side that templates can read.
type consulWithKV struct{ consulRecorder }

func (consulWithKV) Healthy(context.Context, string, string, uint64) ([]consul.Instance, uint64, error) {
	return nil, 1, nil
}
func (consulWithKV) Key(context.Context, string) (string, bool, error) { return "v", true, nil }

// Templates read Consul through the router the runners are given: the
// Consul client when the integration is on, nothing without it (a template
// that calls key then fails with "the Consul integration is not enabled").
func TestRouterHandsTemplatesConsul(t *testing.T) {
	if c := NewRouter(nil, nil).TemplateConsul(); c != nil {
		t.Fatalf("without Consul: got %v, want nil", c)
	}
	c := NewRouter(&consulWithKV{}, nil).TemplateConsul()
	if c == nil {
		t.Fatal("with Consul: templates get no Consul client")
	}
	if v, ok, err := c.Key(context.Background(), "k"); err != nil || !ok || v != "v" {
		t.Fatalf("Key through the router: %q %v %v", v, ok, err)
	}
}
