package client

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/mesh/proxy"
	"github.com/appmesh/appmesh/structs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The gatherer reads a running proxy's metrics from the socket in its
// task directory, the one place a proxy serves them in host and bridge
// mode. A running proxy without the socket (an allocation placed before
// the upgrade, which serves them on its "<task>-metrics" loopback port,
// or a proxy that has not bound it yet) is left out quietly: no target,
// no scrape error in the agent's /v1/metrics.
func TestClient_MeshProxyMetricsFromTaskSocket(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	waitFor(t, "registration", func() bool { r, _ := srv.counts(); return r == 1 })

	// A stand-in for the proxy task: the gatherer looks only at the
	// task's kind, its state and its task directory.
	job := shJob("web", `exec sleep 600`)
	task := job.Groups[0].Tasks[0]
	task.Name, task.Kind = "connect-proxy-web", structs.ConnectProxyKindPrefix+"web"
	srv.addJob(job)
	alloc := newAlloc(c, job)
	// What a pre-upgrade host-mode allocation holds; nothing reads it now.
	alloc.AllocatedPorts = []structs.AllocatedPort{{Label: "connect-proxy-web-metrics", Value: 21001}}
	srv.upsertAlloc(alloc)
	waitFor(t, "alloc running", statusIs(srv, alloc.ID, structs.AllocClientRunning))

	gatherer := c.MeshProxyGatherer()
	if targets := c.MeshProxyMetricsTargets(); len(targets) != 0 {
		t.Fatalf("a proxy without its socket is a target: %+v", targets)
	}
	if fams, err := gatherer.Gather(); err != nil || len(fams) != 0 {
		t.Fatalf("gather with no socket: %d families, error %v; want none and no error", len(fams), err)
	}

	// The proxy binds its socket: the agent reads it.
	dir, err := allocdir.New(c.cfg.DataDir, alloc.ID)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir.TaskDir(task.Name), structs.ProxyMetricsSocket)
	ln, err := proxy.ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	conns := prometheus.NewCounter(prometheus.CounterOpts{Name: "appmesh_mesh_proxy_connections_total", Help: "test"})
	conns.Add(7)
	reg.MustRegister(conns)
	hs := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	targets := c.MeshProxyMetricsTargets()
	if len(targets) != 1 || targets[0].Socket != sock || targets[0].Labels["service"] != "web" || targets[0].Labels["namespace"] != "default" {
		t.Fatalf("targets: %+v, want the socket %s labelled web/default", targets, sock)
	}
	fams, err := gatherer.Gather()
	if err != nil || len(fams) != 1 || len(fams[0].Metric) != 1 || fams[0].Metric[0].GetCounter().GetValue() != 7 {
		t.Fatalf("gather through the socket: %v, error %v", fams, err)
	}
}
