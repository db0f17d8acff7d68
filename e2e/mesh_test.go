package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// meshBackend is a version of the "api" application, served by the test
// itself on the port the job's network block reserves (the task sleeps):
// it answers its version and counts the connections it accepted, so the
// test can tell a kept connection from a new one.
type meshBackend struct {
	version string
	port    int
	conns   atomic.Int64
	srv     *http.Server
}

func startMeshBackend(t *testing.T, version string, port int) *meshBackend {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	b := &meshBackend{version: version, port: port}
	b.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, version) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				b.conns.Add(1)
			}
		},
	}
	go b.srv.Serve(ln)
	t.Cleanup(func() { b.srv.Close() })
	return b
}

// meshJob is a job of the service api (or web) with a connect sidecar;
// upstreamPort > 0 gives it an upstream to api on that local port.
func meshJob(id, service, tag string, port, sleepSec, upstreamPort int) string {
	upstream := ""
	if upstreamPort > 0 {
		upstream = fmt.Sprintf(`
          proxy {
            upstreams {
              destination_name = "api"
              local_bind_port  = %d
            }
          }`, upstreamPort)
	}
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "g" {
    network {
      port "http" {
        static = %d
      }
    }
    service {
      name     = %q
      port     = "http"
      provider = "appmesh"
      tags     = [%q]
      connect {
        sidecar_service {%s
        }
      }
    }
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo upstream=$APPMESH_UPSTREAM_API; exec sleep %d"]
      }
    }
  }
}
`, id, port, service, tag, upstream, sleepSec)
}

// TestMeshWebToAPI runs two jobs, web and api, with connect sidecars on a
// dev agent: web's upstream reaches api through the two proxies over mTLS;
// api's proxy refuses a plaintext caller and a TLS caller without a mesh
// certificate; a deny intention stops the calls and deleting it restores
// them; a 90/10 split between api v1 and v2 holds over 2,000 requests and
// moving it to 0/100 fails no request; rotating the CA root keeps an open
// connection and new ones work.
func TestMeshWebToAPI(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	ports := freePorts(t, 4)
	v1 := startMeshBackend(t, "v1", ports[0])
	v2 := startMeshBackend(t, "v2", ports[1])
	webPort, bind := ports[2], ports[3]

	run := func(id, service, tag string, port, n, upstream int) {
		sec, marker := taskSleep(n)
		a.track(marker)
		file := writeFile(t, id+".hcl", meshJob(id, service, tag, port, sec, upstream))
		if r := a.cli("job run", "-detach", file); r.code != 0 {
			a.fatalf("job run %s: %s", id, r)
		}
	}
	run("api-v1", "api", "v1", v1.port, 76, 0)
	run("web", "web", "web", webPort, 77, bind)

	// One connection per request: the L4 proxy picks per connection.
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	call := func(c *http.Client) (string, error) {
		r, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", bind))
		if err != nil {
			return "", err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusOK {
			return "", fmt.Errorf("status %d: %s", r.StatusCode, b)
		}
		return string(b), err
	}
	a.waitFor("web's upstream to reach api v1 through the proxies", func() (bool, string) {
		got, err := call(fresh)
		return err == nil && got == "v1", fmt.Sprintf("%q %v", got, err)
	})
	web := a.waitAllocs("web", "web running", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	if logs := a.cli("alloc logs", web[0].ID, "app"); !strings.Contains(logs.stdout, fmt.Sprintf("upstream=127.0.0.1:%d", bind)) {
		t.Errorf("web's task env lacks APPMESH_UPSTREAM_API=127.0.0.1:%d: %s", bind, logs)
	}

	// api's proxy: mTLS only, with the cluster's identity.
	inbound := meshProxyAddr(a, "api-sidecar-proxy")
	checkInboundRefusesOutsiders(t, inbound)

	// Intentions: a deny stops the next calls, deleting it restores them.
	if r := a.cli("intention create", "-deny", "web", "api"); r.code != 0 {
		a.fatalf("intention create: %s", r)
	}
	start := time.Now()
	a.waitFor("the deny intention to refuse web's calls", func() (bool, string) {
		got, err := call(fresh)
		return err != nil, fmt.Sprintf("still answered %q", got)
	})
	t.Logf("deny enforced %v after the intention was written", time.Since(start).Round(time.Millisecond))
	if r := a.cli("intention check", "web", "api"); r.code != 2 {
		t.Errorf("intention check web api = exit %d, want 2 (denied): %s", r.code, r)
	}
	if r := a.cli("intention delete", "web", "api"); r.code != 0 {
		a.fatalf("intention delete: %s", r)
	}
	a.waitFor("calls to work again after the intention was deleted", func() (bool, string) {
		got, err := call(fresh)
		return err == nil && got == "v1", fmt.Sprintf("%q %v", got, err)
	})

	// Splits between two versions of api.
	run("api-v2", "api", "v2", v2.port, 78, 0)
	a.waitFor("two passing api proxies", func() (bool, string) {
		r := a.cli("service info", "-json", "api-sidecar-proxy")
		var in []struct{ Status string }
		_ = json.Unmarshal([]byte(r.stdout), &in)
		return len(in) == 2 && in[0].Status == "passing" && in[1].Status == "passing", r.stdout
	})
	applySplit := func(w1, w2 int) {
		t.Helper()
		file := writeFile(t, fmt.Sprintf("split-%d.hcl", w1), fmt.Sprintf(`split "api" {
  subset "v1" {
    tags   = ["v1"]
    weight = %d
  }
  subset "v2" {
    tags   = ["v2"]
    weight = %d
  }
}
`, w1, w2))
		if r := a.cli("mesh split apply", file); r.code != 0 {
			a.fatalf("mesh split apply: %s", r)
		}
	}
	// 0/100 first, seen in effect, then 90/10: the first v1 answer after
	// it says that the web proxy has the new split.
	applySplit(0, 100)
	waitStreak(a, call, fresh, "v2", 30)
	applySplit(90, 10)
	a.waitFor("the 90/10 split to reach web's proxy", func() (bool, string) {
		got, err := call(fresh)
		return err == nil && got == "v1", fmt.Sprintf("%q %v", got, err)
	})
	counts := map[string]int{}
	for i := 0; i < 2000; i++ {
		got, err := call(fresh)
		if err != nil {
			t.Fatalf("request %d under the 90/10 split failed: %v", i, err)
		}
		counts[got]++
	}
	share := float64(counts["v1"]) / 2000
	t.Logf("90/10 split over 2,000 requests: v1 %d, v2 %d (%.1f%% v1)", counts["v1"], counts["v2"], share*100)
	if share < 0.87 || share > 0.93 {
		t.Errorf("v1 got %.1f%% of 2,000 requests under a 90/10 split, want 90%% ± 3%%", share*100)
	}

	// Moving to 0/100 while requests run drains v1 and fails none.
	var failed, total atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			total.Add(1)
			if _, err := call(fresh); err != nil {
				failed.Add(1)
				lastErr.Store(err.Error())
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	applySplit(0, 100)
	waitStreak(a, call, fresh, "v2", 50)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed while the split moved to 0/100 (last: %v)", failed.Load(), total.Load(), lastErr.Load())
	}

	// Rotating the CA root: an open connection stays and keeps working,
	// new connections work with the renewed leaves.
	kept := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	if got, err := call(kept); err != nil || got != "v2" {
		a.fatalf("first call on the kept connection: %q %v", got, err)
	}
	before := v2.conns.Load()
	if r := a.cli("mesh ca rotate"); r.code != 0 {
		a.fatalf("mesh ca rotate: %s", r)
	}
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		if got, err := call(kept); err != nil || got != "v2" {
			t.Fatalf("call %d on the kept connection during the rotation: %q %v", n, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := v2.conns.Load() - before; n != 0 {
		t.Errorf("the backend saw %d new connections during the rotation on a kept client connection, want 0 (the open connection was dropped)", n)
	}
	a.waitFor("a new connection after the rotation", func() (bool, string) {
		got, err := call(fresh)
		return err == nil && got == "v2", fmt.Sprintf("%q %v", got, err)
	})
	checkInboundRefusesOutsiders(t, inbound)
}

// waitStreak waits until n calls in a row answer want.
func waitStreak(a *agent, call func(*http.Client) (string, error), c *http.Client, want string, n int) {
	a.t.Helper()
	streak := 0
	a.waitFor(fmt.Sprintf("%d answers in a row from %s", n, want), func() (bool, string) {
		got, err := call(c)
		if err != nil || got != want {
			streak = 0
			return false, fmt.Sprintf("%q %v", got, err)
		}
		streak++
		return streak >= n, fmt.Sprintf("streak %d", streak)
	})
}

// meshProxyAddr is the inbound address of a service's (only) sidecar proxy,
// from the built-in catalog.
func meshProxyAddr(a *agent, name string) string {
	var addr string
	a.waitFor(name+" in the catalog", func() (bool, string) {
		r := a.cli("service info", "-json", name)
		var in []struct {
			Address string
			Port    int
		}
		if err := json.Unmarshal([]byte(r.stdout), &in); err != nil || len(in) == 0 {
			return false, r.String()
		}
		addr = net.JoinHostPort(in[0].Address, fmt.Sprint(in[0].Port))
		return true, ""
	})
	return addr
}

// checkInboundRefusesOutsiders: a plaintext request gets no answer from the
// application, and a TLS client without a mesh certificate is refused; the
// proxy's own certificate names the service's SPIFFE identity.
func checkInboundRefusesOutsiders(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial the api proxy at %s: %v", addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: api\r\n\r\n")
	b, _ := io.ReadAll(c)
	c.Close()
	if strings.Contains(string(b), "HTTP/1") || strings.Contains(string(b), "v1") || strings.Contains(string(b), "v2") {
		t.Errorf("a plaintext request through the api proxy got an answer: %q", b)
	}

	var peerURIs []string
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{
		InsecureSkipVerify: true, // the test reads the certificate; it has no mesh roots
	})
	if err == nil {
		for _, cert := range tc.ConnectionState().PeerCertificates {
			for _, u := range cert.URIs {
				peerURIs = append(peerURIs, u.String())
			}
		}
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(tc, "GET / HTTP/1.0\r\nHost: api\r\n\r\n")
		b, rerr := io.ReadAll(tc)
		tc.Close()
		if rerr == nil && len(b) > 0 {
			t.Errorf("a TLS client without a mesh certificate got an answer from the api proxy: %q", b)
		}
		if len(peerURIs) == 0 || !strings.HasPrefix(peerURIs[0], "spiffe://") || !strings.HasSuffix(peerURIs[0], "/ns/default/svc/api") {
			t.Errorf("the api proxy's certificate names %v, want spiffe://<domain>/ns/default/svc/api", peerURIs)
		}
	}
}
