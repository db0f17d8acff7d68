package jobspec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

const ingressHCL = `job "ingress" {
  group "gw" {
    network {
      port "inbound" {
        static = 8080
      }
    }
    service {
      name = "api-ingress"
      port = "inbound"
      connect {
        gateway {
          proxy {
            connect_timeout = "2s"
          }
          ingress {
            listener {
              port     = 8080
              protocol = "http"
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
`

// An ingress gateway in Nomad's shape parses, and canonicalizing adds its
// task (a main task, not a sidecar) once, with no port of its own: its
// metrics are on a socket in its task directory.
func TestConnectIngressGatewayHCL(t *testing.T) {
	job := parseHCLString(t, ingressHCL)
	s := job.Groups[0].Services[0]
	if !s.IsIngressGateway() || s.HasSidecar() {
		t.Fatalf("gateway not parsed: %+v", s.Connect)
	}
	l := s.Connect.Gateway.Ingress.Listeners
	if len(l) != 1 || l[0].Port != 8080 || l[0].Protocol != "http" || len(l[0].Services) != 1 || l[0].Services[0].Name != "api" ||
		s.Connect.Gateway.Proxy.ConnectTimeout.Std().String() != "2s" {
		t.Fatalf("listener parsed wrong: %+v", l)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	g := job.Groups[0]
	task := g.LookupTask("connect-ingress-api-ingress")
	if task == nil || task.Kind != "connect-ingress:api-ingress" || task.IsSidecar() || task.LifecycleHook() != "" ||
		task.ConnectIngressService() != "api-ingress" || task.ConnectProxyService() != "" {
		t.Fatalf("injected gateway task: %+v", task)
	}
	args, _ := task.Config["args"].([]any)
	if got := strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(fmtAny(args), ",", " "), "[]")), " "); !strings.Contains(got,
		"-service api-ingress -metrics-addr unix:${APPMESH_TASK_DIR}/metrics.sock") {
		t.Fatalf("args: %v", args)
	}
	if len(g.Network.Ports) != 1 || g.Network.Ports[0].Label != "inbound" {
		t.Fatalf("ports: %+v", g.Network.Ports)
	}
	first, _ := json.Marshal(job)
	var again structs.Job
	if err := json.Unmarshal(first, &again); err != nil {
		t.Fatal(err)
	}
	again.Canonicalize()
	if second, _ := json.Marshal(&again); string(second) != string(first) {
		t.Fatalf("injection is not idempotent:\n%s\n%s", first, second)
	}
	// Removing the gateway removes its task.
	again.Groups[0].Services[0].Connect = nil
	again.Groups[0].Tasks = append(again.Groups[0].Tasks, &structs.Task{Name: "main", Driver: "raw_exec"})
	again.Canonicalize()
	if again.Groups[0].LookupTask("connect-ingress-api-ingress") != nil || len(again.Groups[0].Network.Ports) != 1 {
		t.Fatalf("gateway left behind: %+v %+v", again.Groups[0].Tasks, again.Groups[0].Network.Ports)
	}
}

func fmtAny(a []any) string {
	b, _ := json.Marshal(a)
	return strings.NewReplacer(`"`, "").Replace(string(b))
}

// Validation names each mistake of a gateway.
func TestConnectIngressGatewayValidate(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"port not reserved", "port     = 8080", "port     = 9090", "port 9090 is not reserved by the group's network"},
		{"no service", `service {
                name = "api"
              }`, ``, "give exactly one service block"},
		{"bad protocol", `protocol = "http"`, `protocol = "grpc"`, `protocol "grpc" is invalid`},
		{"no listener", `listener {`, `xlistener {`, ``},
	} {
		src := strings.Replace(ingressHCL, tc.from, tc.to, 1)
		if src == ingressHCL {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		job, err := Parse("gw.hcl", []byte(src), "hcl")
		if tc.want == "" {
			if err == nil {
				t.Fatalf("%s: parsed", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		job.Canonicalize()
		if err := job.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	// Terminating and mesh gateways are Nomad features appmesh lacks.
	src := strings.Replace(ingressHCL, "ingress {", "terminating {}\n          ingress {", 1)
	if _, err := Parse("gw.hcl", []byte(src), "hcl"); err == nil ||
		!strings.Contains(err.Error(), "`terminating` is a Nomad feature appmesh does not support (found in a gateway block)") {
		t.Fatalf("terminating gateway: %v", err)
	}
}

// Nomad's API JSON of an ingress gateway (as `nomad job run -output`
// writes it, with its empty fields) reads the same.
func TestConnectIngressGatewayNomadJSON(t *testing.T) {
	src := `{"Job": {"ID": "ingress", "Name": "ingress", "TaskGroups": [{"Name": "gw",
  "Networks": [{"Mode": "host", "ReservedPorts": [{"Label": "inbound", "Value": 8080}]}],
  "Services": [{"Name": "api-ingress", "PortLabel": "inbound", "Provider": "consul",
    "Connect": {"Native": false, "SidecarService": null, "SidecarTask": null,
      "Gateway": {"Proxy": {"ConnectTimeout": 5000000000, "EnvoyGatewayBindTaggedAddresses": false,
          "EnvoyGatewayBindAddresses": null, "EnvoyGatewayNoDefaultBind": false, "EnvoyDNSDiscoveryType": "", "Config": null},
        "Ingress": {"TLS": null, "Listeners": [{"Port": 8080, "Protocol": "tcp",
          "Services": [{"Name": "api", "Hosts": null}]}]},
        "Terminating": null, "Mesh": null}}}]}]}}`
	reg, err := ParseNomadJSON("gw.json", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s := reg.Job.Groups[0].Services[0]
	if !s.IsIngressGateway() || s.Connect.Gateway.Ingress.Listeners[0].Services[0].Name != "api" {
		t.Fatalf("gateway lost: %+v", s.Connect)
	}
	bad := strings.Replace(src, `"Terminating": null`, `"Terminating": {"Services": [{"Name": "db"}]}`, 1)
	if _, err := ParseNomadJSON("gw.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), "Terminating") {
		t.Fatalf("terminating gateway accepted: %v", err)
	}
}
