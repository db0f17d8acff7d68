package jobspec

import (
	"strings"
	"testing"
)

// A Nomad feature appmesh lacks is named as such, with its enclosing
// block, rather than reported as a typo.
func TestNomadOnlyFeatures(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"task vault block", wrapTask("      driver = \"exec\"\n      vault {\n        policies = [\"x\"]\n      }"),
			"test.hcl:5,7-12: Unsupported block type; `vault` is a Nomad feature appmesh does not support (found in a task block)"},
		{"task csi_plugin", wrapTask("      driver = \"exec\"\n      csi_plugin {\n        id = \"x\"\n      }"),
			"`csi_plugin` is a Nomad feature appmesh does not support (found in a task block): CSI volumes are not supported."},
		{"job consul_token argument", "job \"j\" {\n  consul_token = \"x\"\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			"test.hcl:2,3-15: Unsupported argument; `consul_token` is a Nomad feature appmesh does not support (found in a job block)"},
		{"task constraint", wrapTask("      driver = \"exec\"\n      constraint {\n        attribute = \"x\"\n        value = \"y\"\n      }"),
			"`constraint` is a Nomad feature appmesh does not support (found in a task block): constraints apply to whole groups"},
		{"resources device", wrapTask("      driver = \"exec\"\n      resources {\n        device \"nvidia/gpu\" {\n          count = 1\n        }\n      }"),
			"`device` is a Nomad feature appmesh does not support (found in a resources block)"},
		{"resources secrets", wrapTask("      driver = \"exec\"\n      resources {\n        secrets = 10\n      }"),
			"`secrets` is a Nomad feature appmesh does not support (found in a resources block)"},
		{"identity change_mode", wrapTask("      driver = \"exec\"\n      identity {\n        change_mode = \"restart\"\n      }"),
			"`change_mode` is a Nomad feature appmesh does not support (found in a identity block)"},
		{"check grpc_service", wrapTask("      driver = \"exec\"\n      service {\n        name = \"s\"\n        check {\n          type = \"grpc\"\n          grpc_service = \"x\"\n          interval = \"1s\"\n          timeout = \"1s\"\n        }\n      }"),
			"`grpc_service` is a Nomad feature appmesh does not support (found in a check block)"},
		{"service canary_tags", wrapTask("      driver = \"exec\"\n      service {\n        name = \"s\"\n        canary_tags = [\"c\"]\n      }"),
			"`canary_tags` is a Nomad feature appmesh does not support (found in a service block)"},
		{"logs disabled", wrapTask("      driver = \"exec\"\n      logs {\n        disabled = true\n      }"),
			"`disabled` is a Nomad feature appmesh does not support (found in a logs block)"},
		{"job multiregion", "job \"j\" {\n  multiregion {\n  }\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			"`multiregion` is a Nomad feature appmesh does not support (found in a job block)"},
	}
	for _, c := range cases {
		_, err := Parse("test.hcl", []byte(c.src), "hcl")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v\nwant it to contain %q", c.name, err, c.want)
		}
	}
	// A typo is still a typo.
	_, err := Parse("test.hcl", []byte(wrapTask("      driver = \"exec\"\n      vualt {\n      }")), "hcl")
	if err == nil || strings.Contains(err.Error(), "Nomad feature") {
		t.Errorf("typo: err = %v", err)
	}
}
