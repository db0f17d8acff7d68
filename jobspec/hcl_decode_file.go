package jobspec

import (
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// DecodeHCLFile decodes an HCL file into target (gohcl struct tags), with
// the one-line blocks job files accept (`ports { http = 6060  rpc = 6061 }`),
// for other HCL files such as the agent configuration. Every problem is
// reported, one per line, on the user's own lines.
func DecodeHCLFile(path string, target any) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text, inserted := splitOneLineBlocks(src, path)
	var lines *lineMap
	if len(inserted) > 0 {
		lines = newLineMap(src, inserted)
	}
	file, diags := hclsyntax.ParseConfig(text, path, hcl.Pos{Line: 1, Column: 1})
	if !diags.HasErrors() {
		diags = append(diags, gohcl.DecodeBody(file.Body, nil, target)...)
	}
	lines.remap(diags)
	return newDiagnosticsError(diags)
}
