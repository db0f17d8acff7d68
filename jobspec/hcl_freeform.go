package jobspec

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// decodeMapBlock fills a map field from a block. A map of values of any
// type (a task's driver config) is free-form: any arguments and nested
// blocks. A typed map (env, meta) takes only arguments: `env { K = "v" }`,
// the same as `env = { K = "v" }`.
func (d *hclDecoder) decodeMapBlock(blk *hclsyntax.Block, fv reflect.Value) {
	if len(blk.Labels) > 0 {
		d.diags = append(d.diags, errorAt(hcl.RangeBetween(blk.LabelRanges[0], blk.LabelRanges[len(blk.Labels)-1]),
			"Extraneous block label", fmt.Sprintf("A %s block takes no labels: %s { ... }.", blk.Type, blk.Type)))
	}
	t := fv.Type()
	if t.Key().Kind() != reflect.String {
		d.unsupportedField(blk, &hclField{typ: t})
		return
	}
	if t.Elem().Kind() == reflect.Interface {
		m := d.freeformBody(blk.Body)
		if reflect.TypeOf(m).ConvertibleTo(t) {
			fv.Set(reflect.ValueOf(m).Convert(t))
		}
		return
	}
	for _, inner := range blk.Body.Blocks {
		d.diags = append(d.diags, errorAt(inner.TypeRange, "Unsupported block type",
			fmt.Sprintf("A %s block holds only KEY = value lines; blocks of type %q are not expected here.", blk.Type, inner.Type)))
	}
	m := reflect.MakeMapWithSize(t, len(blk.Body.Attributes))
	for _, attr := range sortedAttributes(blk.Body) {
		val, diags := d.evalExpr(attr.Expr)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		elem := reflect.New(t.Elem()).Elem()
		if d.assign(elem, blk.Type+"."+attr.Name, val, attr.Expr.Range(), attr.SrcRange) {
			m.SetMapIndex(reflect.ValueOf(attr.Name).Convert(t.Key()), elem)
		}
	}
	fv.Set(m)
}

// freeformBody turns a body into a map the way the same data reads in JSON:
// arguments become keys, a nested block becomes a nested map, repeated
// blocks become a list of maps, and block labels become nested keys
// (`port "http" { static = 80 }` → {"port": {"http": {"static": 80}}}).
func (d *hclDecoder) freeformBody(body *hclsyntax.Body) map[string]any {
	out := make(map[string]any, len(body.Attributes)+len(body.Blocks))
	for _, attr := range sortedAttributes(body) {
		val, diags := d.evalExpr(attr.Expr)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		if v, ok := d.ctyToAny(val, attr.Expr.Range()); ok {
			out[attr.Name] = v
		}
	}
	labelCount := map[string]int{}
	for _, blk := range body.Blocks {
		if attr, clash := body.Attributes[blk.Type]; clash {
			d.diags = append(d.diags, errorAt(blk.TypeRange, "Duplicate argument",
				fmt.Sprintf("%q is already set as an argument at line %d; use either the argument or blocks.", blk.Type, d.line(attr.NameRange))))
			continue
		}
		if n, seen := labelCount[blk.Type]; seen && n != len(blk.Labels) {
			d.diags = append(d.diags, errorAt(blk.DefRange(), "Inconsistent block labels",
				fmt.Sprintf("Every %s block here must have the same number of labels (%d), as their content is merged by label.", blk.Type, n)))
			continue
		}
		labelCount[blk.Type] = len(blk.Labels)
		inner := d.freeformBody(blk.Body)
		insertBlock(out, append([]string{blk.Type}, blk.Labels...), inner)
	}
	return out
}

// insertBlock stores a block's map at the key path (type, labels...); a
// second block at the same path turns the value into a list.
func insertBlock(m map[string]any, path []string, block map[string]any) {
	for _, key := range path[:len(path)-1] {
		next, ok := m[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[key] = next
		}
		m = next
	}
	last := path[len(path)-1]
	switch prev := m[last].(type) {
	case map[string]any:
		m[last] = []any{prev, block}
	case []any:
		m[last] = append(prev, block)
	default:
		m[last] = block
	}
}

// ctyToAny converts through JSON so that free-form values have exactly the
// Go types that encoding/json gives for the same job in JSON (float64
// numbers, []any, map[string]any), and both formats compare equal.
func (d *hclDecoder) ctyToAny(val cty.Value, rng hcl.Range) (any, bool) {
	if !val.IsWhollyKnown() {
		d.diags = append(d.diags, errorAt(rng, "Invalid value", "The value could not be determined."))
		return nil, false
	}
	raw, err := ctyjson.Marshal(val, val.Type())
	if err == nil {
		var out any
		if err = json.Unmarshal(raw, &out); err == nil {
			return out, true
		}
	}
	d.diags = append(d.diags, errorAt(rng, "Invalid value", fmt.Sprintf("The value cannot be used: %s.", err)))
	return nil, false
}
