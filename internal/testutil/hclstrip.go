package testutil

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// StripHCL removes the arguments and blocks named by paths from an HCL
// file. A path is block types from the top, then the name to remove:
// "job.group.task.identity" removes every identity block (or argument) of
// every task of every group of the job. Tests use it to run a job file
// written for Nomad without the parts appmesh does not have yet, and say
// which ones they took out.
func StripHCL(src []byte, paths []string) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, "strip.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse: %s", diags.Error())
	}
	for _, p := range paths {
		parts := strings.Split(p, ".")
		if len(parts) < 2 {
			return nil, fmt.Errorf("path %q: want at least a block type and a name", p)
		}
		stripIn(f.Body(), parts)
	}
	return f.Bytes(), nil
}

func stripIn(body *hclwrite.Body, parts []string) {
	if len(parts) == 1 {
		body.RemoveAttribute(parts[0])
		for _, b := range body.Blocks() {
			if b.Type() == parts[0] {
				body.RemoveBlock(b)
			}
		}
		return
	}
	for _, b := range body.Blocks() {
		if b.Type() == parts[0] {
			stripIn(b.Body(), parts[1:])
		}
	}
}
