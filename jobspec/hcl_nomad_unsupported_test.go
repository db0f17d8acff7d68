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
