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

// The proxy's /metrics has no ACL check, so in bridge and host mode alike
// it is served on a 0600 Unix socket in the task directory and the group
// gets no "-metrics" port: nothing listens for it on loopback, where any
// local process could read it. Switching the mode changes neither.
func TestConnectMetricsSocket(t *testing.T) {
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
	checkMetricsSocket(t, "bridge mode", g, "connect-proxy-web")
	g.Network.Mode = ""
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate in host mode: %v", err)
	}
	checkMetricsSocket(t, "host mode", g, "connect-proxy-web")
}

// An ingress gateway serves its metrics on the socket too, in either mode.
func TestConnectGatewayMetricsSocket(t *testing.T) {
	for _, tc := range []struct{ mode, old, new string }{
		{"host mode", "", ""},
		{"bridge mode", "port \"inbound\" {\n        static = 8080\n      }",
			"mode = \"bridge\"\n      port \"inbound\" {\n        static = 18080\n        to     = 8080\n      }"},
	} {
		job := parseHCLString(t, strings.Replace(ingressHCL, tc.old, tc.new, 1))
		job.Canonicalize()
		if err := job.Validate(); err != nil {
			t.Fatalf("%s: validate: %v", tc.mode, err)
		}
		g := job.Groups[0]
		if g.Network.IsBridge() != (tc.mode == "bridge mode") {
			t.Fatalf("%s: the replacement did not apply: %+v", tc.mode, g.Network)
		}
		checkMetricsSocket(t, tc.mode, g, "connect-ingress-api-ingress")
		if len(g.Network.Ports) != 1 {
			t.Fatalf("%s: gateway ports: %+v, want only the user's", tc.mode, g.Network.Ports)
		}
	}
}

// checkMetricsSocket fails unless the injected task serves its metrics on
// the task directory's socket and the group reserves no metrics port.
func checkMetricsSocket(t *testing.T, mode string, g *structs.TaskGroup, task string) {
	t.Helper()
	args, _ := g.LookupTask(task).Config["args"].([]any)
	want := []any{"-metrics-addr", "unix:${APPMESH_TASK_DIR}/" + structs.ProxyMetricsSocket}
	if got := flagArgs(args, "-metrics-addr"); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %s -metrics-addr = %v, want %v (args %v)", mode, task, got, want, args)
	}
	for _, p := range g.Network.Ports {
		if strings.HasSuffix(p.Label, "-metrics") {
			t.Fatalf("%s: a metrics port is reserved: %+v", mode, p)
		}
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

// An ingress gateway's proxy { config { max_procs = N } } reaches its task
// as -max-procs N, and a bad value is refused at validation, as for a
// sidecar.
func TestConnectGatewayMaxProcs(t *testing.T) {
	withConfig := func(config string) *structs.Job {
		src := strings.Replace(ingressHCL, `connect_timeout = "2s"`, "connect_timeout = \"2s\"\n            config {\n              "+config+"\n            }", 1)
		return parseHCLString(t, src)
	}
	job := withConfig("max_procs = 3")
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	args, _ := job.Groups[0].LookupTask("connect-ingress-api-ingress").Config["args"].([]any)
	if got, want := flagArgs(args, "-max-procs"), []any{"-max-procs", "3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("gateway -max-procs = %v, want %v (args %v)", got, want, args)
	}
	if cp := job.Copy(); !reflect.DeepEqual(cp.Groups[0].Services[0].Connect.Gateway.Proxy.Config, job.Groups[0].Services[0].Connect.Gateway.Proxy.Config) {
		t.Fatal("the gateway's proxy config is lost in a copy")
	}
	bad := withConfig("max_procs = 1.5")
	bad.Canonicalize()
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "connect.gateway.proxy.config") || !strings.Contains(err.Error(), "max_procs 1.5 is invalid") {
		t.Fatalf("max_procs = 1.5 on a gateway: %v, want it refused", err)
	}
}
