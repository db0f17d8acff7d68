package jobspec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// ParseOptions carries the values of a job file's variables from outside
// the file. The zero value sets none: every variable takes its default.
type ParseOptions struct {
	// Vars are `-var name=value` flags; each name must be declared by a
	// variable block. Values are converted to the variable's type; a list,
	// map or object is written in HCL syntax (`-var 'dcs=["a","b"]'`).
	Vars map[string]string
	// VarFiles are read in order, a later file overriding an earlier one:
	// HCL assignments (`name = value`), or JSON when the name ends ".json".
	VarFiles []string
	// Env holds "KEY=value" entries, as os.Environ returns them; those
	// named APPMESH_VAR_<name> set variable <name>. The library never reads
	// the process environment itself, so that parsing stays hermetic.
	Env []string
	// BaseDir is where file() and fileexists() resolve relative paths.
	// ParseFileWithOptions sets it to the job file's directory. When it is
	// empty (Parse of bytes that may come from anywhere, e.g. a future HTTP
	// endpoint) the file functions are refused, so that a job text cannot
	// read the files of the process that parses it.
	BaseDir string
}

// EnvVarPrefix starts the name of an environment variable that sets a job
// file variable: APPMESH_VAR_image=redis sets var.image.
const EnvVarPrefix = "APPMESH_VAR_"

// jobVariable is one `variable "name" { ... }` block.
type jobVariable struct {
	name        string
	typ         cty.Type // cty.DynamicPseudoType when no type is given
	def         cty.Value
	hasDefault  bool
	defRange    hcl.Range
	validations []varValidation
}

type varValidation struct {
	condition hcl.Expression
	message   hcl.Expression
	rng       hcl.Range
}

// assigned is a value given from outside the file, with where it came from
// for messages.
type assigned struct {
	val    cty.Value
	source string
	rng    *hcl.Range
}

// readVariables decodes the variable blocks of a file's top level.
func (d *hclDecoder) readVariables(body *hclsyntax.Body) []*jobVariable {
	var out []*jobVariable
	seen := map[string]hcl.Range{}
	for _, blk := range body.Blocks {
		if blk.Type != "variable" {
			continue
		}
		if len(blk.Labels) != 1 {
			d.diags = append(d.diags, errorAt(blk.DefRange(), "Invalid variable block",
				`A variable block takes its name as its only label: variable "image" { type = string }.`))
			continue
		}
		name := blk.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			d.diags = append(d.diags, errorAt(blk.LabelRanges[0], "Invalid variable name",
				fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)))
			continue
		}
		if first, dup := seen[name]; dup {
			d.diags = append(d.diags, errorAt(blk.LabelRanges[0], "Duplicate variable",
				fmt.Sprintf("Variable %q is already declared at line %d.", name, d.line(first))))
			continue
		}
		seen[name] = blk.DefRange()
		if v := d.readVariable(blk, name); v != nil {
			out = append(out, v)
		}
	}
	return out
}

func (d *hclDecoder) readVariable(blk *hclsyntax.Block, name string) *jobVariable {
	v := &jobVariable{name: name, typ: cty.DynamicPseudoType, defRange: blk.DefRange()}
	ok := true
	for _, attr := range sortedAttributes(blk.Body) {
		switch attr.Name {
		case "type":
			ty, diags := typeexpr.TypeConstraint(attr.Expr)
			d.diags = append(d.diags, diags...)
			ok = ok && !diags.HasErrors()
			v.typ = ty
		case "default":
			val, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				d.diags = append(d.diags, errorAt(attr.Expr.Range(), "Invalid default value",
					fmt.Sprintf("The default of variable %q must be a constant: it cannot refer to variables or call functions.", name)))
				ok = false
			}
			v.def, v.hasDefault = val, true
		case "description", "sensitive":
			// Documentation for people; nothing to keep.
		default:
			d.diags = append(d.diags, errorAt(attr.NameRange, "Unsupported argument",
				fmt.Sprintf("An argument named %q is not expected in a variable block; it takes type, default, description and validation { ... }.", attr.Name)))
			ok = false
		}
	}
	for _, inner := range blk.Body.Blocks {
		if inner.Type != "validation" {
			d.diags = append(d.diags, errorAt(inner.TypeRange, "Unsupported block type",
				fmt.Sprintf("Blocks of type %q are not expected in a variable block; only validation { condition = ...  error_message = \"...\" }.", inner.Type)))
			ok = false
			continue
		}
		if val, good := d.readValidation(inner, name); good {
			v.validations = append(v.validations, val)
		} else {
			ok = false
		}
	}
	if ok && v.hasDefault && !v.def.IsNull() {
		def, err := convert.Convert(v.def, v.typ)
		if err != nil {
			d.diags = append(d.diags, errorAt(blk.Body.Attributes["default"].Expr.Range(), "Invalid default value",
				fmt.Sprintf("The default of variable %q does not match its type %s: %s.", name, typeexpr.TypeString(v.typ), err)))
			return nil
		}
		v.def = def
	}
	if !ok {
		return nil
	}
	return v
}

func (d *hclDecoder) readValidation(blk *hclsyntax.Block, name string) (varValidation, bool) {
	val := varValidation{rng: blk.DefRange()}
	for _, attr := range sortedAttributes(blk.Body) {
		switch attr.Name {
		case "condition":
			val.condition = attr.Expr
		case "error_message":
			val.message = attr.Expr
		default:
			d.diags = append(d.diags, errorAt(attr.NameRange, "Unsupported argument",
				fmt.Sprintf("An argument named %q is not expected in a validation block; it takes condition and error_message.", attr.Name)))
			return val, false
		}
	}
	if val.condition == nil || val.message == nil {
		d.diags = append(d.diags, errorAt(blk.DefRange(), "Incomplete validation",
			fmt.Sprintf("The validation of variable %q needs both condition = <bool expression> and error_message = \"...\".", name)))
		return val, false
	}
	return val, true
}

// rawValue turns a value written on the command line or in the environment
// into a cty value: a string for a string, number, bool or untyped
// variable (converted later), otherwise HCL syntax (`["a", "b"]`).
func rawValue(text string, ty cty.Type, source string) (cty.Value, hcl.Diagnostics) {
	if ty == cty.DynamicPseudoType || ty.IsPrimitiveType() {
		return cty.StringVal(text), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(text), source, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return expr.Value(nil)
}

// outsideValues gathers the values given from outside the file, later
// sources overriding earlier ones: environment, var files in order, then
// -var flags. Problems in var files have positions in those files, so they
// are returned apart (they must not be remapped to job file lines).
func (d *hclDecoder) outsideValues(vars []*jobVariable, opts ParseOptions) (map[string]assigned, hcl.Diagnostics) {
	byName := make(map[string]*jobVariable, len(vars))
	for _, v := range vars {
		byName[v.name] = v
	}
	out := map[string]assigned{}
	var diags hcl.Diagnostics
	for _, kv := range opts.Env {
		key, text, found := strings.Cut(kv, "=")
		name, isVar := strings.CutPrefix(key, EnvVarPrefix)
		if !found || !isVar || byName[name] == nil {
			continue // other variables of the environment are not ours
		}
		source := "environment variable " + key
		val, vd := rawValue(text, byName[name].typ, source)
		diags = append(diags, vd...)
		out[name] = assigned{val: val, source: source}
	}
	for _, path := range opts.VarFiles {
		diags = append(diags, readVarFile(path, byName, out)...)
	}
	names := make([]string, 0, len(opts.Vars))
	for name := range opts.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := byName[name]
		if v == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undefined variable",
				Detail: fmt.Sprintf("-var %s=...: the job file %s declares no variable %q%s.%s",
					name, d.filename, name, declaredList(vars), didYouMean(name, byName))})
			continue
		}
		source := fmt.Sprintf("-var %s=...", name)
		val, vd := rawValue(opts.Vars[name], v.typ, source)
		diags = append(diags, vd...)
		out[name] = assigned{val: val, source: source}
	}
	return out, diags
}

// didYouMean suggests a declared variable close to an unknown name, or
// how to declare it.
func didYouMean(name string, byName map[string]*jobVariable) string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	if guess := suggestName(name, names); guess != "" {
		return fmt.Sprintf(" Did you mean %q?", guess)
	}
	return fmt.Sprintf(" Declare it with variable %q { type = string }.", name)
}

// declaredList names the declared variables for a message about an unknown one.
func declaredList(vars []*jobVariable) string {
	if len(vars) == 0 {
		return " (it declares none)"
	}
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.name
	}
	return " (declared: " + strings.Join(names, ", ") + ")"
}
