package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// httpService starts an HTTP server and api's L7 proxy in front of it.
func httpService(t *testing.T, ca *testCA, h http.HandlerFunc) *Proxy {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := serverCfg(t, ca, "api", strings.TrimPrefix(srv.URL, "http://"))
	cfg.Protocol = ProtocolHTTP
	return startProxy(t, cfg, nil)
}

func says(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, name+string(body))
	}
}

func httpUpstream(insts ...*structs.MeshInstance) *structs.MeshUpstreamConfig {
	return &structs.MeshUpstreamConfig{DestinationName: "api", Protocol: ProtocolHTTP, Instances: insts}
}

func get(t *testing.T, c *http.Client, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestL7RouteByHeaderAndPath(t *testing.T) {
	ca := newTestCA(t, "root")
	v1 := httpService(t, ca, says("v1"))
	v2 := httpService(t, ca, says("v2"))
	up := httpUpstream(instance(t, v1, []string{"v1"}, 1), instance(t, v2, []string{"v2"}, 2))
	up.Split = splitOf(100, 0)
	up.Split.Routes = []*structs.MeshRoute{
		{Headers: map[string]string{"X-Version": "v2"}, Subset: "v2"},
		{PathPrefix: "/beta", Subset: "v2"},
	}
	reg := prometheus.NewRegistry()
	web := startProxy(t, clientCfg(t, ca, up), reg)
	base := "http://" + web.UpstreamAddr("api")
	c := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct {
		path string
		hdr  map[string]string
		want string
	}{
		{"/", nil, "v1"},
		{"/", map[string]string{"X-Version": "v2"}, "v2"},
		{"/beta/x", nil, "v2"},
		{"/other", map[string]string{"X-Version": "v3"}, "v1"},
	} {
		for range 5 {
			code, body := get(t, c, base+tc.path, tc.hdr)
			if code != 200 || body != tc.want {
				t.Fatalf("GET %s %v: %d %q, want %q", tc.path, tc.hdr, code, body, tc.want)
			}
		}
	}
	n := testutil.CollectAndCount(reg, "appmesh_mesh_proxy_http_request_duration_seconds")
	if n < 3 { // routes "default", "*" (the header route) and "/beta"
		t.Errorf("request duration series = %d, want one per route (3)", n)
	}
}

func TestL7RetryOnFailingInstance(t *testing.T) {
	ca := newTestCA(t, "root")
	bad := httpService(t, ca, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	})
	good := httpService(t, ca, says("ok:"))
	reg := prometheus.NewRegistry()
	web := startProxy(t, clientCfg(t, ca, httpUpstream(instance(t, bad, nil, 0), instance(t, good, nil, 0))), reg)
	base := "http://" + web.UpstreamAddr("api")
	c := &http.Client{Timeout: 10 * time.Second}
	for i := range 20 {
		if code, body := get(t, c, base+"/", nil); code != 200 || body != "ok:" {
			t.Fatalf("GET %d: %d %q", i, code, body)
		}
		// A small POST body is kept and sent again on the retry.
		resp, err := c.Post(base+"/", "text/plain", strings.NewReader("payload"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok:payload" {
			t.Fatalf("POST %d: %d %q", i, resp.StatusCode, b)
		}
	}
	if n := testutil.ToFloat64(mustVec(t, reg, "appmesh_mesh_proxy_http_retries_total")); n < 1 {
		t.Errorf("retries = %v", n)
	}
	// The failing instance failed 5 times in a row: the breaker ejected it.
	if n := testutil.ToFloat64(mustVec(t, reg, "appmesh_mesh_proxy_circuit_breaker_ejections_total")); n < 1 {
		t.Errorf("ejections = %v", n)
	}
}

func TestL7DenyReachesPooledConnection(t *testing.T) {
	ca := newTestCA(t, "root")
	api := httpService(t, ca, says("api"))
	web := startProxy(t, clientCfg(t, ca, httpUpstream(instance(t, api, nil, 0))), nil)
	base := "http://" + web.UpstreamAddr("api")
	c := &http.Client{Timeout: 10 * time.Second}
	if code, _ := get(t, c, base+"/", nil); code != 200 {
		t.Fatalf("allowed: %d", code)
	}
	cfg := *api.Config()
	cfg.Index++
	cfg.Intentions = []*structs.Intention{{ID: "d", SourceNamespace: "default", SourceName: "web",
		DestinationNamespace: "default", DestinationName: "api", Action: structs.IntentionDeny}}
	if err := api.Update(&cfg); err != nil {
		t.Fatal(err)
	}
	// web's proxy reuses its pooled mTLS connection; the request is
	// refused all the same.
	if code, body := get(t, c, base+"/", nil); code != http.StatusForbidden {
		t.Fatalf("after deny: %d %q, want 403", code, body)
	}
}

func TestL7RouteTimeout(t *testing.T) {
	ca := newTestCA(t, "root")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	api := httpService(t, ca, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	up := httpUpstream(instance(t, api, nil, 0))
	up.Split = &structs.MeshSplit{Routes: []*structs.MeshRoute{
		{PathPrefix: "/slow", Timeout: structs.Duration(200 * time.Millisecond)}}}
	web := startProxy(t, clientCfg(t, ca, up), nil)
	start := time.Now()
	code, _ := get(t, &http.Client{Timeout: 10 * time.Second}, "http://"+web.UpstreamAddr("api")+"/slow", nil)
	if code != http.StatusGatewayTimeout {
		t.Fatalf("slow route: %d, want 504", code)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("timeout took %s", el)
	}
}

// At L7 the subset is drawn per request, so a client that keeps one
// connection open still sees the split.
func TestL7SplitPerRequestOnOneConnection(t *testing.T) {
	ca := newTestCA(t, "root")
	v1 := httpService(t, ca, says("v1"))
	v2 := httpService(t, ca, says("v2"))
	up := httpUpstream(instance(t, v1, []string{"v1"}, 1), instance(t, v2, []string{"v2"}, 2))
	up.Split = splitOf(90, 10)
	web := startProxy(t, clientCfg(t, ca, up), nil)
	base := "http://" + web.UpstreamAddr("api") + "/"
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	const n = 2000
	count := map[string]int{}
	for range n {
		code, body := get(t, c, base, nil)
		if code != 200 {
			t.Fatalf("GET: %d %q", code, body)
		}
		count[body]++
	}
	share := float64(count["v1"]) / n
	t.Logf("over %d requests: %v (%.1f%% v1)", n, count, share*100)
	if share < 0.87 || share > 0.93 {
		t.Fatalf("v1 got %.1f%%, want 90%% ± 3%%", share*100)
	}
}
