package e2e

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// meshBridgeAPIJob is service "api" in a bridge namespace: a raw_exec
// python server on port 8080 inside it, mapped from a dynamic host port,
// with a connect sidecar (which runs in the namespace too) limited to two
// CPUs by max_procs.
func meshBridgeAPIJob(marker string) string {
	// The marker is an extra argv entry, so the harness finds the server.
	code := `open('api.txt', 'w').write('api-bridged\n'); import http.server as h; h.ThreadingHTTPServer(('0.0.0.0', 8080), h.SimpleHTTPRequestHandler).serve_forever()`
	return fmt.Sprintf(`job "api" {
  datacenters = ["*"]
  group "g" {
    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
    }
    service {
      name     = "api"
      port     = "http"
      provider = "appmesh"
      connect {
        sidecar_service {
          proxy {
            config {
              max_procs = 2
            }
          }
        }
      }
    }
    task "app" {
      driver = "raw_exec"
      config {
        command = "/usr/bin/python3"
        args    = ["-c", %q, %q]
      }
    }
  }
}
`, code, marker)
}

// TestMeshBridgeProxyMetrics: a sidecar proxy in a bridge namespace
// serves its metrics on a Unix socket in its task directory (the data
// directory here is deep enough that the socket's path is longer than
// sun_path), as web's host-mode proxy does, and the client agent's
// /v1/metrics holds its series next to web's: connections and bytes of
// web's calls to api, labelled by service and namespace only. The agent
// is a -dev one, on loopback: the proxy reads its config through the
// agent's address forwarded into the namespace. The api job's
// max_procs = 2 reaches its proxy as -max-procs 2.
func TestMeshBridgeProxyMetrics(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: bridge networking needs root")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("the api task serves HTTP with /usr/bin/python3, which this host lacks: `make test` installs it (make python3)")
	}
	// A -dev agent listens on 127.0.0.1 only: the proxy in the namespace
	// reaches it through the listener the client puts at that address
	// inside the namespace (client/bridgenet/forward_agent.go).
	a := startAgent(t, agentOptions{dev: true})
	ports := freePorts(t, 2)
	webPort, bind := ports[0], ports[1]

	_, apiMarker := taskSleep(88)
	a.track(apiMarker)
	if r := a.cli("job run", "-detach", writeFile(t, "api.hcl", meshBridgeAPIJob(apiMarker))); r.code != 0 {
		a.fatalf("job run api: %s", r)
	}
	webSec, webMarker := taskSleep(89)
	a.track(webMarker)
	if r := a.cli("job run", "-detach", writeFile(t, "web.hcl", meshJob("web", "web", "web", webPort, webSec, bind))); r.code != 0 {
		a.fatalf("job run web: %s", r)
	}
	allocs := a.waitAllocs("api", "api running", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	sock := filepath.Join(a.dataDir, "client", "alloc", allocs[0].ID, "connect-proxy-api", "metrics.sock")
	t.Logf("api's proxy metrics socket: %s (%d bytes; sun_path holds 107)", sock, len(sock))
	a.waitFor("the bridge proxy's metrics socket", func() (bool, string) {
		fi, err := os.Stat(sock)
		if err != nil {
			return false, err.Error()
		}
		return fi.Mode()&fs.ModeSocket != 0 && fi.Mode().Perm() == 0o600, fi.Mode().String()
	})

	// web's proxy is in host mode: the same socket, and no metrics port.
	webAllocs := a.waitAllocs("web", "web running", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	checkProxyMetricsSocket(t, a, webAllocs[0].ID, "connect-proxy-web")

	// max_procs reached the injected proxy as its -max-procs flag.
	proxies := findProcs(allocs[0].ID)
	var cmdlines []string
	for _, p := range proxies {
		if strings.Contains(p.cmdline, " connect proxy ") {
			cmdlines = append(cmdlines, p.cmdline)
		}
	}
	if len(cmdlines) != 1 || !strings.Contains(cmdlines[0], " -max-procs 2") {
		t.Errorf("api's proxy process: %q, want one with -max-procs 2", cmdlines)
	}

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	call := func() (string, error) {
		r, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/api.txt", bind))
		if err != nil {
			return "", err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		return fmt.Sprintf("%d %s", r.StatusCode, b), err
	}
	a.waitFor("web's upstream to reach the bridged api through the proxies", func() (bool, string) {
		got, err := call()
		return err == nil && got == "200 api-bridged\n", fmt.Sprintf("%q %v\napi proxy stderr: %s", got, err,
			a.cli("alloc logs", "-stderr", allocs[0].ID, "connect-proxy-api").stdout)
	})
	for i := 0; i < 10; i++ {
		if got, err := call(); err != nil || got != "200 api-bridged\n" {
			t.Fatalf("call %d: %q %v", i, got, err)
		}
	}

	want := []proxySeries{
		{"appmesh_mesh_proxy_connections_total", map[string]string{"service": "api", "namespace": "default", "direction": "inbound"}},
		{"appmesh_mesh_proxy_sent_bytes_total", map[string]string{"service": "api", "namespace": "default", "direction": "inbound"}},
		{"appmesh_mesh_proxy_received_bytes_total", map[string]string{"service": "api", "namespace": "default", "direction": "inbound"}},
		{"appmesh_mesh_proxy_config_updates_total", map[string]string{"service": "api", "namespace": "default"}},
		{"appmesh_mesh_proxy_connections_total", map[string]string{"service": "web", "namespace": "default", "direction": "outbound", "upstream": "api"}},
	}
	fams, _ := waitProxySeries(a, "the bridge proxy's series in the agent's /v1/metrics", want)
	if v := seriesValue(fams["appmesh_mesh_proxy_connections_total"], want[0].labels); v < 10 {
		t.Errorf("api's inbound connections = %v, want at least the 10 calls", v)
	}
	// Bounded labels: no series names an allocation, an address or a socket.
	for name, f := range fams {
		if !strings.HasPrefix(name, "appmesh_mesh_proxy_") {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if n := l.GetName(); strings.Contains(n, "alloc") || strings.Contains(n, "addr") || strings.Contains(n, "socket") {
					t.Errorf("%s has a label %s=%q: labels must stay bounded", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	if r := a.cli("job stop", "api"); r.code != 0 {
		a.fatalf("job stop api: %s", r)
	}
	a.waitFor("the socket to go with the proxy", func() (bool, string) {
		_, err := os.Lstat(sock)
		return os.IsNotExist(err), fmt.Sprint(err)
	})
}
