package jobspec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// readVarFile reads a -var-file: `name = value` lines in HCL, or one JSON
// object when the file name ends in ".json". Every name must be declared
// by the job file, so that a typo does not silently leave a default.
func readVarFile(path string, byName map[string]*jobVariable, out map[string]assigned) hcl.Diagnostics {
	src, err := os.ReadFile(path)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variable file",
			Detail: fmt.Sprintf("-var-file %s: %v", path, err)}}
	}
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.EqualFold(filepath.Ext(path), ".json") {
		file, diags = hcljson.Parse(src, path)
	} else {
		file, diags = hclsyntax.ParseConfig(src, path, hcl.Pos{Line: 1, Column: 1})
	}
	if diags.HasErrors() {
		return diags
	}
	attrs, diags := file.Body.JustAttributes()
	if diags.HasErrors() {
		for _, diag := range diags {
			diag.Detail += " A variable file holds only name = value lines."
		}
		return diags
	}
	for name, attr := range attrs {
		v := byName[name]
		if v == nil {
			diags = append(diags, errorAt(attr.NameRange, "Undefined variable",
				fmt.Sprintf("The job file declares no variable %q.%s", name, didYouMean(name, byName))))
			continue
		}
		val, vd := attr.Expr.Value(nil)
		if vd.HasErrors() {
			for _, diag := range vd {
				diag.Detail += " Values in a variable file are constants: they cannot refer to variables."
			}
			diags = append(diags, vd...)
			continue
		}
		rng := attr.Expr.Range()
		out[name] = assigned{val: val, source: fmt.Sprintf("%s:%d", path, rng.Start.Line), rng: &rng}
	}
	return diags
}
