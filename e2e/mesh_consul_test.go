package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/hashicorp/consul/api"
)

// consulMeshJob is meshJob with the service registered in Consul.
func consulMeshJob(id, service, tag string, port, sleepSec, upstreamPort int) string {
	return strings.Replace(meshJob(id, service, tag, port, sleepSec, upstreamPort),
		`provider = "appmesh"`, `provider = "consul"`, 1)
}

// TestMeshConsulConnect runs web → api as TestMeshWebToAPI does, with a
// real Consul agent as the mesh (`consul { connect = true }`): both
// services and their sidecars are Connect services in Consul's catalog,
// the appmesh proxies carry leaves Consul's CA signed, a Consul deny
// intention stops the calls and deleting it restores them, and stopping
// a job takes its registrations out of Consul.
func TestMeshConsulConnect(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	cfg := writeFile(t, "consul.hcl", fmt.Sprintf(`consul {
  address            = %q
  kv_prefix          = "appmesh-%d"
  reconcile_interval = "1s"
  connect            = true
}
`, ca.HTTP, runTag))
	a := startAgent(t, agentOptions{dev: true, config: cfg})
	ports := freePorts(t, 3)
	backend := startMeshBackend(t, "v1", ports[0])
	webPort, bind := ports[1], ports[2]

	run := func(id, service string, port, n, upstream int) {
		sec, marker := taskSleep(n)
		a.track(marker)
		file := writeFile(t, id+".hcl", consulMeshJob(id, service, service, port, sec, upstream))
		if r := a.cli("job run", "-detach", file); r.code != 0 {
			a.fatalf("job run %s: %s", id, r)
		}
	}
	run("api", "api", backend.port, 14, 0)
	run("web", "web", webPort, 15, bind)

	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	call := func() (string, error) {
		r, err := fresh.Get(fmt.Sprintf("http://127.0.0.1:%d/", bind))
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
	a.waitFor("web's upstream to reach api through the proxies (Consul's mesh)", func() (bool, string) {
		got, err := call()
		return err == nil && got == "v1", fmt.Sprintf("%q %v", got, err)
	})

	// Consul's catalog: api's sidecar is a connect-proxy for api, passing.
	var inbound string
	a.waitFor("api's sidecar passing in Consul as a connect-proxy", func() (bool, string) {
		entries, _, err := c.Health().Connect("api", "", true, nil)
		if err != nil || len(entries) != 1 {
			return false, fmt.Sprintf("%d passing connect instances of api, %v", len(entries), err)
		}
		s := entries[0].Service
		if s.Kind != api.ServiceKindConnectProxy || s.Service != "api-sidecar-proxy" || s.Proxy == nil ||
			s.Proxy.DestinationServiceName != "api" || s.Proxy.LocalServicePort != backend.port {
			return false, fmt.Sprintf("%+v proxy %+v", s, s.Proxy)
		}
		inbound = net.JoinHostPort(s.Address, fmt.Sprint(s.Port))
		return true, ""
	})
	webSide, _, err := c.Catalog().Service("web-sidecar-proxy", "", nil)
	if err != nil || len(webSide) != 1 || webSide[0].ServiceProxy == nil || len(webSide[0].ServiceProxy.Upstreams) != 1 ||
		webSide[0].ServiceProxy.Upstreams[0].DestinationName != "api" || webSide[0].ServiceProxy.Upstreams[0].LocalBindPort != bind {
		t.Errorf("web's sidecar in Consul lacks its upstream api:%d: %+v %v", bind, webSide, err)
	}

	// The proxy's certificate is Consul's: its URI is Consul's identity
	// of api, in Consul's trust domain.
	roots, _, err := c.Agent().ConnectCARoots(nil)
	if err != nil {
		t.Fatalf("consul roots: %v", err)
	}
	want := fmt.Sprintf("spiffe://%s/ns/default/dc/dc1/svc/api", roots.TrustDomain)
	if got := proxyCertURI(t, inbound); got != want {
		t.Errorf("api's proxy presents %q, want Consul's identity %q", got, want)
	}
	if !strings.HasSuffix(roots.TrustDomain, ".consul") {
		t.Errorf("Consul's trust domain %q does not end in .consul", roots.TrustDomain)
	}

	// A Consul intention denies web → api; deleting it restores calls.
	if _, err := c.Connect().IntentionUpsert(&api.Intention{SourceName: "web", DestinationName: "api",
		Action: api.IntentionActionDeny}, nil); err != nil {
		t.Fatalf("consul intention deny web → api: %v", err)
	}
	start := time.Now()
	a.waitFor("Consul's deny intention to refuse web's calls", func() (bool, string) {
		got, err := call()
		return err != nil, fmt.Sprintf("still answered %q", got)
	})
	t.Logf("Consul deny enforced %v after the intention was written", time.Since(start).Round(time.Millisecond))
	if _, err := c.Connect().IntentionDeleteExact("web", "api", nil); err != nil {
		t.Fatalf("consul intention delete: %v", err)
	}
	a.waitFor("calls to work again after the Consul intention was deleted", func() (bool, string) {
		got, err := call()
		return err == nil && got == "v1", fmt.Sprintf("%q %v", got, err)
	})

	// Stopping api removes it and its sidecar from Consul.
	if r := a.cli("job stop", "api"); r.code != 0 {
		a.fatalf("job stop api: %s", r)
	}
	a.waitFor("api and its sidecar to leave Consul", func() (bool, string) {
		svc, _, err1 := c.Catalog().Service("api", "", nil)
		side, _, err2 := c.Catalog().Service("api-sidecar-proxy", "", nil)
		return err1 == nil && err2 == nil && len(svc) == 0 && len(side) == 0,
			fmt.Sprintf("api %d, sidecar %d (%v %v)", len(svc), len(side), err1, err2)
	})
}

// proxyCertURI is the URI SAN of the certificate a proxy presents.
func proxyCertURI(t *testing.T, addr string) string {
	t.Helper()
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{
		InsecureSkipVerify: true, // the test reads the certificate only
	})
	if err != nil {
		// The proxy asks for a client certificate; Go still saw its own.
		t.Fatalf("TLS handshake with the proxy at %s: %v", addr, err)
	}
	defer tc.Close()
	for _, cert := range tc.ConnectionState().PeerCertificates {
		for _, u := range cert.URIs {
			return u.String()
		}
	}
	return ""
}
