package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ingressJob exposes the mesh service api on the node's ports httpPort
// (an L7 listener) and tcpPort (L4) through an ingress gateway in Nomad's
// shape.
func ingressJob(httpPort, tcpPort int) string {
	return fmt.Sprintf(`job "ingress" {
  datacenters = ["*"]
  group "gw" {
    network {
      port "inbound" {
        static = %d
      }
      port "raw" {
        static = %d
      }
    }
    service {
      name     = "api-ingress"
      port     = "inbound"
      provider = "appmesh"
      connect {
        gateway {
          ingress {
            listener {
              port     = %d
              protocol = "http"
              service {
                name = "api"
              }
            }
            listener {
              port = %d
              service {
                name = "api"
              }
            }
          }
        }
      }
    }
  }
}
`, httpPort, tcpPort, httpPort, tcpPort)
}

// TestMeshIngressGateway: an ingress gateway job exposes api on a static
// host port of the node; a plain HTTP GET there reaches api's backend
// through api's sidecar, which takes only mTLS callers; the gateway calls
// with its own identity (api-ingress), so a deny intention from it to
// api blocks it and deleting the intention opens it again.
func TestMeshIngressGateway(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	ports := freePorts(t, 3)
	backend := startMeshBackend(t, "v1", ports[0])
	gwPort, tcpPort := ports[1], ports[2]

	sec, marker := taskSleep(20)
	a.track(marker)
	if r := a.cli("job run", "-detach", writeFile(t, "api.hcl", meshHTTPJob("api", "api", backend.port, sec, 0))); r.code != 0 {
		a.fatalf("job run api: %s", r)
	}
	if r := a.cli("job run", "-detach", writeFile(t, "ingress.hcl", ingressJob(gwPort, tcpPort))); r.code != 0 {
		a.fatalf("job run ingress: %s", r)
	}
	// The gateway listens where the catalog says the gateway service is:
	// the node's address at the static port.
	addr := meshProxyAddr(a, "api-ingress")
	if !strings.HasSuffix(addr, fmt.Sprintf(":%d", gwPort)) {
		t.Fatalf("api-ingress is registered at %s, want port %d", addr, gwPort)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	host, _, _ := net.SplitHostPort(addr)
	tcpAddr := net.JoinHostPort(host, fmt.Sprint(tcpPort))
	get := func(addr string) (int, string, error) {
		r, err := client.Get("http://" + addr + "/")
		if err != nil {
			return 0, "", err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		return r.StatusCode, string(b), err
	}
	call := func() (int, string, error) { return get(addr) }
	callTCP := func() (int, string, error) { return get(tcpAddr) }
	a.waitFor("a GET on the gateway's host port to reach api", func() (bool, string) {
		code, body, err := call()
		return err == nil && code == http.StatusOK && body == "v1", fmt.Sprintf("%d %q %v", code, body, err)
	})
	// The backend is only reached through api's proxy: its inbound
	// listener refuses anyone without a mesh certificate, so the gateway
	// spoke mTLS with a leaf of the cluster's CA.
	checkInboundRefusesOutsiders(t, meshProxyAddr(a, "api-sidecar-proxy"))
	for i := 0; i < 10; i++ {
		if code, body, err := call(); err != nil || code != http.StatusOK || body != "v1" {
			t.Fatalf("call %d through the gateway's http listener: %d %q %v", i, code, body, err)
		}
		if code, body, err := callTCP(); err != nil || code != http.StatusOK || body != "v1" {
			t.Fatalf("call %d through the gateway's tcp listener: %d %q %v", i, code, body, err)
		}
	}
	gw := a.waitAllocs("ingress", "gateway running", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	if r := a.cli("alloc status", gw[0].ID); !strings.Contains(r.stdout, "connect-ingress-api-ingress") {
		t.Errorf("the gateway allocation has no task connect-ingress-api-ingress: %s", r)
	}
	checkProxyMetricsSocket(t, a, gw[0].ID, "connect-ingress-api-ingress")

	if r := a.cli("intention create", "-deny", "api-ingress", "api"); r.code != 0 {
		a.fatalf("intention create: %s", r)
	}
	start := time.Now()
	a.waitFor("the deny intention to block the gateway", func() (bool, string) {
		code, body, err := call()
		return err == nil && code == http.StatusForbidden, fmt.Sprintf("%d %q %v", code, body, err)
	})
	t.Logf("deny from api-ingress enforced %v after the intention was written", time.Since(start).Round(time.Millisecond))
	// api's proxy checks each request (L7), so the tcp listener's callers
	// get its 403 too.
	if code, body, err := callTCP(); err == nil && code == http.StatusOK {
		t.Errorf("the tcp listener still reaches api under the deny: %d %q", code, body)
	}
	if r := a.cli("intention check", "api-ingress", "api"); r.code != 2 {
		t.Errorf("intention check api-ingress api = exit %d, want 2 (denied): %s", r.code, r)
	}
	if r := a.cli("intention delete", "api-ingress", "api"); r.code != 0 {
		a.fatalf("intention delete: %s", r)
	}
	a.waitFor("the gateway to reach api again", func() (bool, string) {
		code, body, err := call()
		return err == nil && code == http.StatusOK && body == "v1", fmt.Sprintf("%d %q %v", code, body, err)
	})
	if code, body, err := callTCP(); err != nil || code != http.StatusOK || body != "v1" {
		t.Errorf("the tcp listener after the deny was deleted: %d %q %v", code, body, err)
	}
}
