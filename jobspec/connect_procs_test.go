package jobspec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// proxy { config { max_procs = N } } reaches the injected sidecar as
// -max-procs N; 0 or unset keeps the proxy's adaptive default (no flag).
func TestConnectMaxProcsInjected(t *testing.T) {
	base := mustRead(t, "testdata/connect-web.hcl")
	for _, tc := range []struct {
		name, config string
		want         []any
	}{
		{"set", "protocol = \"http\"\n              max_procs = 2", []any{"-max-procs", "2"}},
		{"zero", "max_procs = 0", nil},
		{"unset", "protocol = \"http\"", nil},
	} {
		src := strings.Replace(base, `protocol = "http"`, tc.config, 1)
		job := parseHCLString(t, src)
		job.Canonicalize()
		if err := job.Validate(); err != nil {
			t.Fatalf("%s: validate: %v", tc.name, err)
		}
		args, _ := job.Groups[0].LookupTask("connect-proxy-web").Config["args"].([]any)
		got := flagArgs(args, "-max-procs")
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: -max-procs in args = %v, want %v (args %v)", tc.name, got, tc.want, args)
		}
	}
}

// In a bridge namespace the agent cannot reach the proxy's loopback, so
// the proxy serves its metrics on a Unix socket in its task directory and
// gets no "-metrics" port; back in host mode the port returns.
func TestConnectBridgeMetricsSocket(t *testing.T) {
	src := strings.Replace(mustRead(t, "testdata/connect-web.hcl"), "network {\n      port \"http\" {}",
		"network {\n      mode = \"bridge\"\n      port \"http\" {\n        to = 8080\n      }", 1)
	job := parseHCLString(t, src)
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	g := job.Groups[0]
	if !g.Network.IsBridge() {
		t.Fatal("the job is not in bridge mode: the replacement did not apply")
	}
	args, _ := g.LookupTask("connect-proxy-web").Config["args"].([]any)
	if got := flagArgs(args, "-metrics-addr"); !reflect.DeepEqual(got, []any{"-metrics-addr", "unix:${APPMESH_TASK_DIR}/" + structs.ProxyMetricsSocket}) {
		t.Fatalf("-metrics-addr in bridge mode = %v (args %v)", got, args)
	}
	for _, p := range g.Network.Ports {
		if strings.HasSuffix(p.Label, structs.ProxyMetricsPortSuffix) {
			t.Fatalf("bridge mode reserved a metrics port: %+v", p)
		}
	}
	g.Network.Mode = ""
	job.Canonicalize()
	args, _ = g.LookupTask("connect-proxy-web").Config["args"].([]any)
	if got := flagArgs(args, "-metrics-addr"); !reflect.DeepEqual(got, []any{"-metrics-addr", "127.0.0.1:${APPMESH_PORT_connect_proxy_web_metrics}"}) {
		t.Fatalf("-metrics-addr in host mode = %v", got)
	}
}

// A bridge-mode ingress gateway gets the metrics socket too, and no port.
func TestConnectBridgeGatewayMetricsSocket(t *testing.T) {
	src := strings.Replace(ingressHCL, "port \"inbound\" {\n        static = 8080\n      }",
		"mode = \"bridge\"\n      port \"inbound\" {\n        static = 18080\n        to     = 8080\n      }", 1)
	job := parseHCLString(t, src)
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	g := job.Groups[0]
	if !g.Network.IsBridge() {
		t.Fatal("the job is not in bridge mode: the replacement did not apply")
	}
	args, _ := g.LookupTask("connect-ingress-api-ingress").Config["args"].([]any)
	if got := flagArgs(args, "-metrics-addr"); !reflect.DeepEqual(got, []any{"-metrics-addr", "unix:${APPMESH_TASK_DIR}/" + structs.ProxyMetricsSocket}) {
		t.Fatalf("gateway -metrics-addr in bridge mode = %v (args %v)", got, args)
	}
	if len(g.Network.Ports) != 1 {
		t.Fatalf("bridge-mode gateway ports: %+v, want only the user's", g.Network.Ports)
	}
}

// flagArgs is the flag and its value in args, or nil.
func flagArgs(args []any, flag string) []any {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return []any{a, args[i+1]}
		}
	}
	return nil
}
