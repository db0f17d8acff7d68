package agent

import (
	"path/filepath"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/hashicorp/hcl/v2/hclsimple"
)

// decodeConfigFile reads an agent configuration file: HCL with the same
// one-line blocks as job files (`ports { http = 6060  rpc = 6061 }`) and
// every problem listed, or JSON (by suffix, as hclsimple chooses).
func decodeConfigFile(path string, file *Config) error {
	if filepath.Ext(path) == ".hcl" {
		return jobspec.DecodeHCLFile(path, file)
	}
	return hclsimple.DecodeFile(path, nil, file)
}
