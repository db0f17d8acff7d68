package taskrunner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

type staticDiscovery []consul.Instance

func (d staticDiscovery) Healthy(context.Context, string, string, uint64) ([]consul.Instance, uint64, error) {
	return d, 1, nil
}

// The destination file is written at start and again only when the
// instances change: a query answering the same instances writes nothing.
func TestUpstreamsHook_WritesOnlyOnChange(t *testing.T) {
	tr, _ := newRunner(t, "true")
	u := &structs.Upstream{Service: "api", Destination: "api.addrs", ChangeMode: structs.UpstreamChangeNoop}
	u.Canonicalize()
	tr.task.Upstreams = []*structs.Upstream{u}
	first := []consul.Instance{{Address: "10.0.0.1", Port: 80}}
	h := &upstreamsHook{tr: tr, disc: staticDiscovery(first)}
	cfg := &drivers.TaskConfig{TaskDir: t.TempDir()}
	if err := h.Prestart(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.TaskDir, "api.addrs")
	if b, err := os.ReadFile(path); err != nil || string(b) != "10.0.0.1:80\n" {
		t.Fatalf("file after start = %q, %v", b, err)
	}
	if cfg.Env["APPMESH_UPSTREAM_API"] != "10.0.0.1:80" {
		t.Fatalf("env = %v", cfg.Env)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.changed(context.Background(), 0, u, first)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("unchanged instances rewrote the file (stat: %v)", err)
	}
	h.changed(context.Background(), 0, u, []consul.Instance{{Address: "10.0.0.2", Port: 81}})
	if b, err := os.ReadFile(path); err != nil || string(b) != "10.0.0.2:81\n" {
		t.Fatalf("file after a change = %q, %v", b, err)
	}
}
