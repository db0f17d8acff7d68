package agent

import (
	"errors"
	"path/filepath"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsimple"
)

// decodeConfigFile reads an agent configuration file: HCL with the same
// one-line blocks as job files (`ports { http = 6060  rpc = 6061 }`), or
// JSON (by suffix, as hclsimple chooses). Every problem is listed, not the
// first one "and N other diagnostic(s)".
func decodeConfigFile(path string, file *Config) error {
	if filepath.Ext(path) == ".hcl" {
		return jobspec.DecodeHCLFile(path, file)
	}
	err := hclsimple.DecodeFile(path, nil, file)
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		v := &structs.ValidationError{}
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				v.Add("", "%s", d.Error())
			}
		}
		return v.ErrorOrNil()
	}
	return err
}
