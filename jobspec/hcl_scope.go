package jobspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// scope holds what a job file's expressions may use: var.<name>,
// local.<name> and the functions. Declared names are kept apart from the
// values so that a reference to an undeclared name is reported as such.
type scope struct {
	ctx    *hcl.EvalContext
	vars   map[string]cty.Value
	locals map[string]cty.Value
	// localDefs are the not yet evaluated locals, by name.
	localDefs map[string]*hclsyntax.Attribute
}

// buildScope runs the first pass over a job file: variable and locals
// blocks. Problems located in var files come back in extDiags because
// their positions must not be remapped to job file lines.
func (d *hclDecoder) buildScope(body *hclsyntax.Body, opts ParseOptions, baseDir string) (extDiags hcl.Diagnostics) {
	s := &scope{vars: map[string]cty.Value{}, locals: map[string]cty.Value{}, localDefs: map[string]*hclsyntax.Attribute{}}
	s.ctx = &hcl.EvalContext{Functions: jobFunctions(baseDir)}
	d.scope = s
	vars := d.readVariables(body)
	given, extDiags := d.outsideValues(vars, opts)
	if d.diags.HasErrors() || extDiags.HasErrors() {
		return extDiags
	}
	for _, v := range vars {
		val, ok := d.variableValue(v, given)
		if ok {
			s.vars[v.name] = val
		} else {
			s.vars[v.name] = cty.DynamicVal
		}
	}
	s.publish()
	for _, v := range vars {
		d.validate(v, given)
	}
	if d.diags.HasErrors() {
		return extDiags
	}
	d.readLocals(body)
	return extDiags
}

// publish puts the current values into the evaluation context.
func (s *scope) publish() {
	s.ctx.Variables = map[string]cty.Value{"var": cty.ObjectVal(s.vars), "local": cty.ObjectVal(s.locals)}
}

// variableValue picks a variable's value (outside value, else default) and
// converts it to the declared type.
func (d *hclDecoder) variableValue(v *jobVariable, given map[string]assigned) (cty.Value, bool) {
	a, ok := given[v.name]
	if !ok {
		if !v.hasDefault {
			d.diags = append(d.diags, errorAt(v.defRange, "Missing variable value",
				fmt.Sprintf("Variable %q has no default and no value was given. Set it with -var '%s=...', in a -var-file (%s = ...), or with the environment variable %s%s; or give it a default.",
					v.name, v.name, v.name, EnvVarPrefix, v.name)))
			return cty.DynamicVal, false
		}
		a = assigned{val: v.def, source: "its default"}
	}
	if a.val.IsNull() {
		return cty.NullVal(v.typ), true
	}
	val, err := convert.Convert(a.val, v.typ)
	if err != nil {
		subject := v.defRange
		if a.rng != nil {
			subject = *a.rng
		}
		d.diags = append(d.diags, errorAt(subject, "Invalid value for variable",
			fmt.Sprintf("The value of variable %q from %s is not a valid %s: %s.", v.name, a.source, typeexpr.TypeString(v.typ), err)))
		return cty.DynamicVal, false
	}
	return val, true
}

// validate checks a variable's validation blocks; the conditions see every
// variable and the functions, but no locals.
func (d *hclDecoder) validate(v *jobVariable, given map[string]assigned) {
	if !d.scope.vars[v.name].IsKnown() {
		return // its value was already reported as wrong
	}
	source := "its default"
	if a, ok := given[v.name]; ok {
		source = a.source
	}
	for _, val := range v.validations {
		cond, diags := d.evalScoped(val.condition)
		if diags.HasErrors() {
			d.diags = append(d.diags, diags...)
			continue
		}
		if !cond.IsKnown() || cond.IsNull() || !cond.Type().Equals(cty.Bool) {
			d.diags = append(d.diags, errorAt(val.condition.Range(), "Invalid validation condition",
				fmt.Sprintf("The condition of variable %q must be true or false.", v.name)))
			continue
		}
		if cond.True() {
			continue
		}
		msg := "validation failed"
		if m, mdiags := d.evalScoped(val.message); !mdiags.HasErrors() && m.Type() == cty.String && m.IsKnown() && !m.IsNull() {
			msg = m.AsString()
		}
		d.diags = append(d.diags, errorAt(val.condition.Range(), "Invalid value for variable",
			fmt.Sprintf("Variable %q (value from %s): %s", v.name, source, msg)))
	}
}

// readLocals evaluates every locals block's values in dependency order.
func (d *hclDecoder) readLocals(body *hclsyntax.Body) {
	s := d.scope
	var order []*hclsyntax.Attribute
	for _, blk := range body.Blocks {
		if blk.Type != "locals" {
			continue
		}
		if len(blk.Labels) > 0 {
			d.diags = append(d.diags, errorAt(blk.LabelRanges[0], "Extraneous block label", "A locals block takes no labels: locals { name = value }."))
		}
		for _, inner := range blk.Body.Blocks {
			d.diags = append(d.diags, errorAt(inner.TypeRange, "Unsupported block type",
				fmt.Sprintf("A locals block holds only name = value lines; blocks of type %q are not expected here.", inner.Type)))
		}
		for _, attr := range sortedAttributes(blk.Body) {
			if first, dup := s.localDefs[attr.Name]; dup {
				d.diags = append(d.diags, errorAt(attr.NameRange, "Duplicate local value",
					fmt.Sprintf("local.%s is already defined at line %d.", attr.Name, d.line(first.SrcRange))))
				continue
			}
			s.localDefs[attr.Name] = attr
			order = append(order, attr)
		}
	}
	state := map[string]int{} // 1: being evaluated, 2: done, 3: in a reported cycle
	for _, attr := range order {
		d.evalLocal(attr, state, nil)
	}
	s.publish()
}

// evalLocal evaluates one local after the locals it refers to; path is the
// chain of locals being evaluated, to name a cycle.
func (d *hclDecoder) evalLocal(attr *hclsyntax.Attribute, state map[string]int, path []string) {
	s := d.scope
	switch state[attr.Name] {
	case 2:
		return
	case 1:
		cycle := path[indexOf(path, attr.Name):]
		d.diags = append(d.diags, errorAt(attr.NameRange, "Cycle in local values",
			fmt.Sprintf("Local values refer to each other in a cycle: local.%s -> local.%s.",
				strings.Join(cycle, " -> local."), attr.Name)))
		for _, name := range cycle {
			state[name] = 3
		}
		return
	case 3:
		return
	}
	state[attr.Name] = 1
	path = append(path, attr.Name)
	for _, tr := range attr.Expr.Variables() {
		if name, ok := refName(tr, "local"); ok {
			if dep := s.localDefs[name]; dep != nil {
				d.evalLocal(dep, state, path)
			}
		}
	}
	if state[attr.Name] == 3 {
		s.locals[attr.Name] = cty.DynamicVal // reported as a cycle
		return
	}
	s.publish()
	val, diags := d.evalScoped(attr.Expr)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		val = cty.DynamicVal
	}
	s.locals[attr.Name] = val
	state[attr.Name] = 2
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

// refName returns the name in a var.<name> or local.<name> reference.
func refName(tr hcl.Traversal, root string) (string, bool) {
	if tr.RootName() != root || len(tr) < 2 {
		return "", false
	}
	if a, ok := tr[1].(hcl.TraverseAttr); ok {
		return a.Name, true
	}
	return "", false
}

// checkRefs reports each var.x or local.x that is not declared, at its
// position, before HCL would report a less helpful "unsupported attribute".
func (d *hclDecoder) checkRefs(expr hcl.Expression) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		if root != "var" && root != "local" {
			continue
		}
		name, ok := refName(tr, root)
		if !ok {
			diags = append(diags, errorAt(tr.SourceRange(), "Invalid reference",
				fmt.Sprintf("Refer to a value as %s.<name>.", root)))
			continue
		}
		switch {
		case root == "var" && !d.hasVar(name):
			detail := fmt.Sprintf("var.%s is not declared in this file. Declare it with variable %q { type = string }.", name, name)
			if guess := suggestName(name, d.scope.varNames()); guess != "" {
				detail = fmt.Sprintf("var.%s is not declared in this file. Did you mean var.%s?", name, guess)
			}
			diags = append(diags, errorAt(tr.SourceRange(), "Undefined variable", detail))
		case root == "local" && (d.scope == nil || d.scope.localDefs[name] == nil):
			diags = append(diags, errorAt(tr.SourceRange(), "Undefined local value",
				fmt.Sprintf("local.%s is not defined in this file. Define it in a locals { %s = ... } block.", name, name)))
		}
	}
	return diags
}

func (s *scope) varNames() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.vars))
	for n := range s.vars {
		names = append(names, n)
	}
	return names
}

func (d *hclDecoder) hasVar(name string) bool {
	if d.scope == nil {
		return false
	}
	_, ok := d.scope.vars[name]
	return ok
}

// evalScoped evaluates an expression with var, local and the functions.
func (d *hclDecoder) evalScoped(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	if diags := d.checkRefs(expr); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	var ctx *hcl.EvalContext
	if d.scope != nil {
		ctx = d.scope.ctx
	}
	val, diags := expr.Value(ctx)
	for _, diag := range diags {
		if diag.Summary == "Unknown variable" || diag.Summary == "Variables not allowed" {
			diag.Detail += ` Job files know var.<name> and local.<name>; values known only on a node are written inside a string and resolved at run time, e.g. "${meta.rack}".`
		}
	}
	return val, diags
}

// scopedOnly reports whether an expression refers to nothing but var and
// local, so that it can be evaluated while parsing. An expression that
// mixes them with run-time names (meta, attr, NOMAD_*) cannot be either
// evaluated now or kept for later, and is an error.
func scopedOnly(expr hclsyntax.Expression) (bool, hcl.Diagnostics) {
	scoped, runtime := false, false
	for _, tr := range expr.Variables() {
		switch tr.RootName() {
		case "var", "local":
			scoped = true
		default:
			runtime = true
		}
	}
	if scoped && runtime {
		return false, hcl.Diagnostics{errorAt(expr.Range(), "Mixed interpolation",
			"One ${...} cannot use both var/local and values resolved at run time (meta, attr, env, NOMAD_...). Split it in two: \"${var.x}-${meta.rack}\".")}
	}
	return !runtime, nil
}
