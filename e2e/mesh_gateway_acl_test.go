package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMeshIngressGatewayACL: with ACLs on, an ingress gateway gets what
// it needs from its client agent with its own workload identity (leaf
// certificate, roots, intentions, api's instances): a plain GET on its
// host port reaches api's sidecar over mTLS, which first refuses it (with
// ACLs on an unset mesh_default_action is deny), then lets it through once
// an allow intention from api-ingress to api exists, and refuses it again
// when that intention is replaced by a deny. The gateway's metrics are
// read through the agent's ACL-checked /v1/metrics only.
func TestMeshIngressGatewayACL(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true, acl: true})
	ports := freePorts(t, 3)
	backend := startMeshBackend(t, "v1", ports[0])
	gwPort, tcpPort := ports[1], ports[2]

	// The harness's cli passes no token unless the agent is "secure".
	cli := func(command string, args ...string) cliResult {
		return a.cli(command, append([]string{"-token", a.token}, args...)...)
	}
	sec, marker := taskSleep(98)
	a.track(marker)
	if r := cli("job run", "-detach", writeFile(t, "api.hcl", meshHTTPJob("api", "api", backend.port, sec, 0))); r.code != 0 {
		a.fatalf("job run api: %s", r)
	}
	if r := cli("job run", "-detach", writeFile(t, "ingress.hcl", ingressJob(gwPort, tcpPort))); r.code != 0 {
		a.fatalf("job run ingress: %s", r)
	}
	// A -dev node's address: where the gateway's listeners bind.
	addr := fmt.Sprintf("127.0.0.1:%d", gwPort)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	call := func() (int, string, error) {
		r, err := client.Get("http://" + addr + "/")
		if err != nil {
			return 0, "", err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		return r.StatusCode, string(b), err
	}
	gw := a.waitAllocs("ingress", "gateway running", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	stderr := func() string {
		return cli("alloc logs", "-stderr", gw[0].ID, "connect-ingress-api-ingress").stdout
	}
	// The 403 comes from api's proxy after an mTLS handshake with the
	// gateway's leaf: the gateway has its config, the intention decides.
	a.waitFor("api's proxy to refuse the gateway by the default deny", func() (bool, string) {
		code, body, err := call()
		return err == nil && code == http.StatusForbidden && strings.Contains(body, "denied by intention"),
			fmt.Sprintf("%d %q %v\ngateway stderr:\n%s", code, body, err, stderr())
	})
	if r := cli("intention create", "-allow", "api-ingress", "api"); r.code != 0 {
		a.fatalf("intention create -allow: %s", r)
	}
	a.waitFor("a GET on the gateway's host port to reach api with ACLs on", func() (bool, string) {
		code, body, err := call()
		return err == nil && code == http.StatusOK && body == "v1", fmt.Sprintf("%d %q %v\ngateway stderr:\n%s", code, body, err, stderr())
	})
	for i := 0; i < 10; i++ {
		if code, body, err := call(); err != nil || code != http.StatusOK || body != "v1" {
			t.Fatalf("call %d through the gateway: %d %q %v", i, code, body, err)
		}
	}
	checkMetricsBehindACL(t, a, gw[0].ID)
	if r := cli("intention create", "-replace", "-deny", "api-ingress", "api"); r.code != 0 {
		a.fatalf("intention create: %s", r)
	}
	a.waitFor("the deny intention to block the gateway", func() (bool, string) {
		code, body, err := call()
		return err == nil && code == http.StatusForbidden, fmt.Sprintf("%d %q %v", code, body, err)
	})
}

// checkMetricsBehindACL: with ACLs on, the gateway's metrics reach no one
// but through the client agent's /v1/metrics, which refuses a caller
// without a token: the gateway serves them on its 0600 task-directory
// socket, not on a loopback port any local process could read.
func checkMetricsBehindACL(t *testing.T, a *agent, gwAlloc string) {
	t.Helper()
	checkProxyMetricsSocket(t, a, gwAlloc, "connect-ingress-api-ingress")
	resp, err := http.Get(a.addr + "/v1/metrics")
	if err != nil {
		t.Fatalf("anonymous GET /v1/metrics: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET /v1/metrics: status %d, want 403", resp.StatusCode)
	}
	labels := map[string]string{"service": "api-ingress", "namespace": "default", "direction": "outbound", "upstream": "api"}
	a.waitFor("the gateway's series in /v1/metrics with a token", func() (bool, string) {
		r := a.request(http.MethodGet, "/v1/metrics", nil)
		if r.status != http.StatusOK {
			return false, fmt.Sprintf("status %d: %s", r.status, r.body)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(bytes.NewReader(r.body))
		if err != nil {
			return false, "parse: " + err.Error()
		}
		v := seriesValue(fams["appmesh_mesh_proxy_connections_total"], labels)
		return v >= 10, fmt.Sprintf("appmesh_mesh_proxy_connections_total%v = %v, want the 10 calls at least", labels, v)
	})
}
