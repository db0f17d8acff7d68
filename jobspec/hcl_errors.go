package jobspec

import (
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/hcl/v2"
)

// DiagnosticsError is returned for an HCL job file with problems. It keeps
// every diagnostic, with positions, so that a CLI can print them with source
// snippets (hcl.NewDiagnosticTextWriter). It unwraps to a
// *structs.ValidationError, so structs.IsValidation reports true.
type DiagnosticsError struct {
	Diagnostics hcl.Diagnostics
}

// Error lists every problem, one per line, in the form
// `web.hcl:12,5-8: Unsupported argument; An argument named "foo" is not expected here.`
func (e *DiagnosticsError) Error() string { return e.validation().Error() }

// Unwrap exposes the problems as a *structs.ValidationError.
func (e *DiagnosticsError) Unwrap() error { return e.validation() }

func (e *DiagnosticsError) validation() *structs.ValidationError {
	v := &structs.ValidationError{}
	for _, d := range e.Diagnostics {
		switch {
		case d.Severity != hcl.DiagError:
		case d.Subject == nil:
			// A problem with no place in a file (a -var flag): hcl would
			// print "<nil>: " in front of it.
			v.Problems = append(v.Problems, d.Summary+"; "+d.Detail)
		default:
			v.Problems = append(v.Problems, d.Error())
		}
	}
	return v
}

// newDiagnosticsError returns nil when diags hold no error. The diagnostics
// are sorted by position because arguments and blocks are visited apart.
func newDiagnosticsError(diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	sorted := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return diagOffset(sorted[i]) < diagOffset(sorted[j])
	})
	return &DiagnosticsError{Diagnostics: sorted}
}

func diagOffset(d *hcl.Diagnostic) int {
	if d.Subject == nil {
		return 0
	}
	return d.Subject.Start.Byte
}

// errorAt builds an error diagnostic.
func errorAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}
