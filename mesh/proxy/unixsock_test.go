package proxy

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/appmesh/appmesh/structs"
)

// A proxy in a bridge namespace serves /metrics on a Unix socket in its
// task directory; the gatherer reads it there, also when the path is
// longer than sun_path (a deep data directory, as test temp dirs are).
func TestGathererReadsUnixSocket(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"short", func(t *testing.T) string {
			d, err := os.MkdirTemp("/tmp", "us")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}},
		{"longer than sun_path", func(t *testing.T) string {
			d := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(tc.dir(t), structs.ProxyMetricsSocket)
			if tc.name != "short" && len(path) <= maxUnixPath {
				t.Fatalf("path %s is %d bytes: the case needs one past sun_path", path, len(path))
			}
			reg := prometheus.NewRegistry()
			p := New(testLogger(t), reg)
			defer p.Close()
			p.m.connsTotal.WithLabelValues(dirInbound, "").Add(5)
			// A stale socket of an earlier run is replaced.
			if stale, err := ListenUnix(path); err != nil {
				t.Fatal(err)
			} else {
				stale.(*unixListener).UnixListener.Close() // leaves the file, as a crash does
			}
			ln, err := ListenUnix(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
				t.Fatalf("socket file %s: %v %v, want a 0600 socket", path, fi, err)
			}
			srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
			go srv.Serve(ln)
			g := &Gatherer{Targets: func() []Target {
				return []Target{{Socket: path, Labels: map[string]string{"service": "api"}}}
			}}
			fams, err := g.Gather()
			if err != nil {
				t.Fatal(err)
			}
			if v := seriesCounter(fams, "appmesh_mesh_proxy_connections_total", "api"); v != 5 {
				t.Fatalf("connections_total{service=api} = %v, want 5", v)
			}
			_ = srv.Close()
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("socket file left after close: %v", err)
			}
			// A gone proxy is an error that names the socket.
			if _, err := g.Gather(); err == nil || !strings.Contains(err.Error(), "unix:"+path) {
				t.Errorf("error for a gone proxy = %v, want one naming unix:%s", err, path)
			}
		})
	}
}

func TestListenUnixRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), structs.ProxyMetricsSocket)
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("ListenUnix over a regular file = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Fatal("the regular file was touched")
	}
}

// seriesCounter is the counter of family name whose service label is svc.
func seriesCounter(fams []*dto.MetricFamily, name, svc string) float64 {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "service" && l.GetValue() == svc {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}
