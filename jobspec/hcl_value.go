package jobspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// evalExpr evaluates an argument's expression with var, local and the
// functions (hcl_scope.go). In strings, each `${...}` that refers only to
// var and local (or to nothing, like "${upper("x")}") is evaluated now;
// any other is kept as written, because the text inside (meta.rack,
// attr.kernel.name, env.HOME ...) is resolved later on a node, not while
// parsing. Rather than guessing every root a user might write, such
// interpolations are rebuilt from their source, so they come through
// unchanged.
func (d *hclDecoder) evalExpr(expr hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		return d.literalTemplate(e)
	case *hclsyntax.TemplateWrapExpr:
		// A string that is one interpolation: "${meta.rack}", or
		// "${var.ports}", which keeps the variable's own type as in HCL.
		ok, diags := scopedOnly(e.Wrapped)
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		if ok {
			return d.evalScoped(e.Wrapped)
		}
		return d.interpolation(e.Wrapped)
	case *hclsyntax.ParenthesesExpr:
		return d.evalExpr(e.Expression)
	case *hclsyntax.TupleConsExpr:
		return d.evalTuple(e)
	case *hclsyntax.ObjectConsExpr:
		return d.evalObject(e)
	}
	return d.evalScoped(expr)
}

// literalTemplate builds a quoted string or heredoc: literal parts as the
// parser unescaped them, interpolations of var and local evaluated, other
// interpolations as their source text.
func (d *hclDecoder) literalTemplate(e *hclsyntax.TemplateExpr) (cty.Value, hcl.Diagnostics) {
	var b strings.Builder
	var diags hcl.Diagnostics
	for _, part := range e.Parts {
		if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && lit.Val.IsKnown() && !lit.Val.IsNull() {
			b.WriteString(lit.Val.AsString())
			continue
		}
		val, partDiags := d.templatePart(part)
		diags = append(diags, partDiags...)
		if !partDiags.HasErrors() {
			b.WriteString(val.AsString())
		}
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.StringVal(b.String()), nil
}

// templatePart returns the text of one interpolation of a template.
func (d *hclDecoder) templatePart(part hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	ok, diags := scopedOnly(part)
	if diags.HasErrors() || !ok {
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		return d.interpolation(part)
	}
	val, diags := d.evalScoped(part)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	if val.IsNull() {
		return cty.DynamicVal, hcl.Diagnostics{errorAt(part.Range(), "Invalid template interpolation value",
			"This value is null, and a null cannot be written into a string.")}
	}
	str, err := convert.Convert(val, cty.String)
	if err != nil || !str.IsKnown() {
		return cty.DynamicVal, hcl.Diagnostics{errorAt(part.Range(), "Invalid template interpolation value",
			fmt.Sprintf("A %s cannot be written into a string; use jsonencode(...) or join(...) to make text of it.", val.Type().FriendlyName()))}
	}
	return str, nil
}

// interpolation returns "${<source>}" for the expression inside a `${...}`
// that is resolved at run time. Template directives (%{if}, %{for}) would
// need evaluation, so they are rejected rather than silently kept or
// dropped; with var and local only they are evaluated by templatePart.
func (d *hclDecoder) interpolation(inner hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	rng := inner.Range()
	start, end := rng.Start.Byte, rng.End.Byte
	if start < 0 || end > len(d.src) || start > end {
		return cty.DynamicVal, hcl.Diagnostics{errorAt(rng, "Invalid template", "The template's source text could not be located.")}
	}
	text := string(d.src[start:end])
	if strings.HasPrefix(text, "%{") {
		return cty.DynamicVal, hcl.Diagnostics{errorAt(rng, "Template directives are not supported",
			`Job files keep "${...}" for run time and evaluate %{...} directives only over var and local. Write "%%{" for a literal "%{".`)}
	}
	return cty.StringVal("${" + strings.TrimSpace(text) + "}"), nil
}

func (d *hclDecoder) evalTuple(e *hclsyntax.TupleConsExpr) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := make([]cty.Value, 0, len(e.Exprs))
	for _, item := range e.Exprs {
		v, itemDiags := d.evalExpr(item)
		diags = append(diags, itemDiags...)
		vals = append(vals, v)
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.TupleVal(vals), nil
}

func (d *hclDecoder) evalObject(e *hclsyntax.ObjectConsExpr) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := make(map[string]cty.Value, len(e.Items))
	for _, item := range e.Items {
		key, keyDiags := d.objectKey(item.KeyExpr)
		diags = append(diags, keyDiags...)
		val, valDiags := d.evalExpr(item.ValueExpr)
		diags = append(diags, valDiags...)
		if keyDiags.HasErrors() || valDiags.HasErrors() {
			continue
		}
		if _, dup := attrs[key]; dup {
			diags = append(diags, errorAt(item.KeyExpr.Range(), "Duplicate object key",
				fmt.Sprintf("The key %q is given more than once.", key)))
			continue
		}
		attrs[key] = val
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.ObjectVal(attrs), nil
}

// objectKey reads a key of an object constructor: a bare word (`K = "v"`)
// is the key itself, anything else is evaluated and must be a string.
func (d *hclDecoder) objectKey(expr hclsyntax.Expression) (string, hcl.Diagnostics) {
	if k, ok := expr.(*hclsyntax.ObjectConsKeyExpr); ok {
		if !k.ForceNonLiteral {
			if name := hcl.ExprAsKeyword(k.Wrapped); name != "" {
				return name, nil
			}
		}
		expr = k.Wrapped
	}
	val, diags := d.evalExpr(expr)
	if diags.HasErrors() {
		return "", diags
	}
	if !val.IsKnown() || val.IsNull() {
		return "", hcl.Diagnostics{errorAt(expr.Range(), "Invalid object key", "An object key must be a string.")}
	}
	str, err := convert.Convert(val, cty.String)
	if err != nil {
		return "", hcl.Diagnostics{errorAt(expr.Range(), "Invalid object key",
			fmt.Sprintf("An object key must be a string, not %s.", val.Type().FriendlyName()))}
	}
	return str.AsString(), nil
}

// assign stores val into fv through JSON, so that every type decodes in HCL
// exactly as in JSON (structs.Duration from "5s", numbers, maps). A null
// value leaves the field unset; it reports whether anything was stored.
func (d *hclDecoder) assign(fv reflect.Value, name string, val cty.Value, subject, context hcl.Range) bool {
	if val.IsNull() {
		return false
	}
	if !val.IsWhollyKnown() {
		d.diags = append(d.diags, errorAt(subject, "Invalid value", fmt.Sprintf("The value of %q could not be determined.", name)))
		return false
	}
	// Numbers and bools are welcome where text is expected (value = 3 in
	// a constraint, env = { PORT = 8080 }), as HCL users expect.
	if ty, ok := textualType(fv.Type()); ok {
		if converted, err := convert.Convert(val, ty); err == nil {
			val = converted
		}
	}
	// Quoted numbers and booleans (count = "3", sticky = "true") are
	// converted as HCL's own type conversion does, as Nomad reads them.
	if ty, ok := scalarType(fv.Type()); ok && val.Type() == cty.String {
		if converted, err := convert.Convert(val, ty); err == nil {
			val = converted
		}
	}
	raw, err := ctyjson.Marshal(val, val.Type())
	if err != nil {
		d.diags = append(d.diags, errorAt(subject, "Invalid value", fmt.Sprintf("The value of %q cannot be used: %s.", name, err)))
		return false
	}
	p := reflect.New(fv.Type())
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		diag := errorAt(subject, "Incorrect attribute value type", mismatchDetail(name, fv.Type(), val, err))
		diag.Context = context.Ptr()
		d.diags = append(d.diags, diag)
		return false
	}
	fv.Set(p.Elem())
	return true
}

// textualType returns the cty type to convert to when the Go type holds
// text: string, []string or map[string]string (not custom types, which
// decode themselves).
func textualType(t reflect.Type) (cty.Type, bool) {
	if _, custom := customUnmarshaler(t); custom {
		return cty.NilType, false
	}
	switch {
	case t.Kind() == reflect.String:
		return cty.String, true
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return cty.List(cty.String), true
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.String:
		return cty.Map(cty.String), true
	}
	return cty.NilType, false
}

// scalarType returns cty.Number or cty.Bool for a numeric or boolean Go
// type (through pointers), not for custom types.
func scalarType(t reflect.Type) (cty.Type, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, custom := customUnmarshaler(t); custom {
		return cty.NilType, false
	}
	switch t.Kind() {
	case reflect.Bool:
		return cty.Bool, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return cty.Number, true
	}
	return cty.NilType, false
}

// mismatchDetail explains why a value does not fit a field.
func mismatchDetail(name string, t reflect.Type, val cty.Value, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" || te.Type == t {
			return fmt.Sprintf("Inappropriate value for attribute %q: %s is required, got %s.", name, describeGoType(t), describeValue(val))
		}
		return fmt.Sprintf("Inappropriate value for attribute %q: at %s, %s is required, got %s.", name, te.Field, describeGoType(te.Type), te.Value)
	}
	return fmt.Sprintf("Invalid value for attribute %q: %s.", name, err)
}

func describeGoType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value of type " + t.String()
}

// describeValue names an HCL value in a message: `string "two"`, `number 1.5`.
func describeValue(val cty.Value) string {
	switch ty := val.Type(); {
	case ty == cty.String:
		s := val.AsString()
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("string %q", s)
	case ty == cty.Number:
		return "number " + val.AsBigFloat().Text('g', 10)
	case ty == cty.Bool:
		return fmt.Sprintf("bool %t", val.True())
	case ty.IsTupleType() || ty.IsListType():
		return "a list"
	case ty.IsObjectType() || ty.IsMapType():
		return "an object"
	default:
		return ty.FriendlyName()
	}
}
