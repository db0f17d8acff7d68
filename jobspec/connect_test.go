package jobspec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A Nomad-style connect job parses from HCL, and canonicalizing it adds the
// sidecar proxy (task, port, lifecycle) once, however often it runs.
func TestConnectHCL(t *testing.T) {
	job := parseHCLString(t, mustRead(t, "testdata/connect-web.hcl"))
	s := job.Groups[0].Services[0]
	if !s.HasSidecar() {
		t.Fatalf("connect not parsed: %+v", s.Connect)
	}
	p := s.Connect.SidecarService.Proxy
	if p.Protocol() != "http" || len(p.Upstreams) != 2 || p.Upstreams[0].DestinationName != "api" ||
		p.Upstreams[0].LocalBindPort != 8080 || p.Upstreams[1].DestinationNamespace != "data" ||
		p.Upstreams[1].BindAddr() != "127.0.0.2:5432" {
		t.Fatalf("proxy parsed wrong: %+v", p)
	}
	if st := s.Connect.SidecarTask; st == nil || st.Resources.CPU != 50 || st.Env["LOG"] != "debug" {
		t.Fatalf("sidecar_task parsed wrong: %+v", st)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	first, _ := json.Marshal(job)
	g := job.Groups[0]
	proxy := g.LookupTask("connect-proxy-web")
	if proxy == nil || !proxy.IsSidecar() || proxy.LifecycleHook() != structs.LifecycleHookPrestart ||
		proxy.Kind != "connect-proxy:web" || proxy.Resources.CPU != 50 || proxy.Env["LOG"] != "debug" {
		t.Fatalf("injected task: %+v", proxy)
	}
	if !reflect.DeepEqual(proxy.Config["args"], []any{"connect", "proxy", "-agent", "${attr.appmesh.agent_addr}", "-alloc-id", "${APPMESH_ALLOC_ID}", "-service", "web",
		"-metrics-addr", "unix:${APPMESH_TASK_DIR}/metrics.sock"}) {
		t.Fatalf("args: %v", proxy.Config["args"])
	}
	// The proxy's mTLS listener is its one port: metrics are on a socket.
	if len(g.Network.Ports) != 2 || g.Network.Ports[1].Label != "connect-proxy-web" || g.Network.Ports[1].Static != 0 {
		t.Fatalf("ports: %+v", g.Network.Ports)
	}
	// Idempotent, also through a JSON round trip (job inspect, then run).
	var again structs.Job
	if err := json.Unmarshal(first, &again); err != nil {
		t.Fatal(err)
	}
	again.Canonicalize()
	job.Canonicalize()
	second, _ := json.Marshal(&again)
	third, _ := json.Marshal(job)
	if string(first) != string(second) || string(first) != string(third) {
		t.Fatalf("not idempotent:\n%s\n%s\n%s", first, second, third)
	}
	if len(again.Groups[0].Tasks) != 2 {
		t.Fatalf("injected twice: %d tasks", len(again.Groups[0].Tasks))
	}
	// Removing connect removes the proxy and its port.
	again.Groups[0].Services[0].Connect = nil
	again.Canonicalize()
	if len(again.Groups[0].Tasks) != 1 || len(again.Groups[0].Network.Ports) != 1 {
		t.Fatalf("stale proxy kept: %+v %+v", again.Groups[0].Tasks, again.Groups[0].Network.Ports)
	}
}

// The same job in Nomad's API JSON (the shape `nomad job run -output`
// writes, with its empty fields) gives the same connect block.
func TestConnectNomadJSON(t *testing.T) {
	src := `{"Job": {"ID": "web", "TaskGroups": [{"Name": "web",
	  "Networks": [{"Mode": "host", "DynamicPorts": [{"Label": "http", "Value": 0, "To": 0, "HostNetwork": "default"}]}],
	  "Services": [{"Name": "web", "PortLabel": "http", "Tags": ["v1"],
	    "Connect": {"Native": false, "Gateway": null,
	      "SidecarService": {"Tags": null, "Port": "", "DisableDefaultTCPCheck": false, "Meta": null,
	        "Proxy": {"LocalServiceAddress": "", "LocalServicePort": 0, "Expose": null, "TransparentProxy": null,
	          "Config": {"protocol": "http"},
	          "Upstreams": [{"DestinationName": "api", "DestinationNamespace": "", "LocalBindPort": 8080,
	            "Datacenter": "", "LocalBindAddress": "", "MeshGateway": {"Mode": ""}, "Config": null,
	            "DestinationPeer": "", "DestinationType": "", "LocalBindSocketPath": "", "LocalBindSocketMode": ""}]}},
	      "SidecarTask": {"Name": "", "Driver": "", "Resources": {"CPU": 50, "MemoryMB": 32}, "Env": {"LOG": "debug"},
	        "LogConfig": {"MaxFiles": 2, "MaxFileSizeMB": 5}}}}],
	  "Tasks": [{"Name": "web", "Driver": "raw_exec", "Config": {"command": "/bin/sleep", "args": ["3600"]}}]}]}}`
	reg, err := ParseNomadJSON("web.json", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s := reg.Job.Groups[0].Services[0]
	if !s.HasSidecar() || s.Connect.SidecarService.Proxy.Protocol() != "http" ||
		s.Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort != 8080 ||
		s.Connect.SidecarTask.Resources.CPU != 50 || s.Connect.SidecarTask.Logs.MaxFiles != 2 {
		t.Fatalf("connect: %+v", s.Connect)
	}
	reg.Job.Canonicalize()
	if err := reg.Job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	bad := strings.Replace(src, `"Native": false`, `"Native": true`, 1)
	if _, err := ParseNomadJSON("web.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), "Native") {
		t.Fatalf("native connect accepted: %v", err)
	}
	// appmesh's own JSON form reads the same block.
	own, err := json.Marshal(reg.Job)
	if err != nil {
		t.Fatal(err)
	}
	job, err := Parse("web.json", own, "json")
	if err != nil {
		t.Fatalf("appmesh JSON: %v", err)
	}
	if job.Groups[0].LookupTask("connect-proxy-web") == nil || !job.Groups[0].Services[0].HasSidecar() {
		t.Fatalf("appmesh JSON lost connect: %+v", job.Groups[0])
	}
}

// Validation names each mistake.
func TestConnectValidate(t *testing.T) {
	base := mustRead(t, "testdata/connect-web.hcl")
	for _, tc := range []struct{ name, from, to, want string }{
		{"bind port missing", `local_bind_port  = 8080`, ``, `upstream`},
		{"bind port missing message", `local_bind_port  = 8080`, ``, `local_bind_port is required`},
		{"bind port twice", `local_bind_port       = 5432
              local_bind_address    = "127.0.0.2"`, `local_bind_port = 8080`, `local_bind_port 8080 is already used by upstream "api"`},
		{"bad destination", `destination_name = "api"`, `destination_name = "api_v2"`, `destination_name "api_v2" is not a valid service name`},
		{"no port", `port = "http"
      tags`, `tags`, `the service needs a port`},
		{"bad protocol", `protocol = "http"`, `protocol = "grpc"`, `protocol "grpc" is invalid`},
		{"max_procs fraction", `protocol = "http"`, `max_procs = 1.5`, `max_procs 1.5 is invalid: use a whole number from 0`},
		{"max_procs negative", `protocol = "http"`, `max_procs = -1`, `max_procs -1 is invalid`},
		{"max_procs huge", `protocol = "http"`, `max_procs = 100000`, `max_procs 100000 is invalid`},
		{"max_procs string", `protocol = "http"`, `max_procs = "two"`, `max_procs must be a whole number of CPUs, not string two`},
		{"user task clash", `task "web" {`, `task "connect-proxy-web" {`, `reserved for the sidecar proxy of service "web"`},
	} {
		src := strings.Replace(base, tc.from, tc.to, 1)
		if src == base {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		job := parseHCLString(t, src)
		if tc.name == "user task clash" {
			// Keep a main task: the clash, not the missing main task, is
			// what is tested.
			job.Groups[0].Tasks = append(job.Groups[0].Tasks, &structs.Task{Name: "main", Driver: "raw_exec"})
		}
		job.Canonicalize()
		err := job.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	// connect on a task service is refused.
	src := strings.Replace(base, `task "web" {`, `task "web" {
      service {
        name = "side"
        port = "http"
        connect {
          sidecar_service {}
        }
      }`, 1)
	job := parseHCLString(t, src)
	job.Canonicalize()
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), "connect is only for group services") {
		t.Fatalf("task service connect: %v", err)
	}
	// kind cannot be written in HCL.
	src = strings.Replace(base, `driver = "raw_exec"`, `driver = "raw_exec"
      kind = "connect-proxy:web"`, 1)
	if _, err := Parse("x.hcl", []byte(src), "hcl"); err == nil {
		t.Fatalf("kind accepted in HCL")
	}
}

// Consul features of the connect block that appmesh lacks are named as
// such, with their block.
func TestConnectNomadOnly(t *testing.T) {
	base := mustRead(t, "testdata/connect-web.hcl")
	for _, c := range []struct{ from, to, want string }{
		{"sidecar_service {", "native = true\n        sidecar_service {", "`native` is a Nomad feature appmesh does not support (found in a connect block)"},
		{"local_bind_port  = 8080", "local_bind_port  = 8080\n              mesh_gateway {\n                mode = \"local\"\n              }",
			"`mesh_gateway` is a Nomad feature appmesh does not support (found in a upstreams block)"},
		{"config {\n              protocol", "transparent_proxy {}\n            config {\n              protocol", "`transparent_proxy` is a Nomad feature"},
	} {
		src := strings.Replace(base, c.from, c.to, 1)
		if src == base {
			t.Fatalf("%q: replacement did not apply", c.from)
		}
		_, err := Parse("web.hcl", []byte(src), "hcl")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.to, err, c.want)
		}
	}
}
