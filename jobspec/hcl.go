package jobspec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// hclDecoder walks an *hclsyntax.Body next to a Go struct, using the
// structs tags (see hcl_schema.go). It collects every diagnostic instead of
// stopping at the first, so that a user fixes a file in one go.
type hclDecoder struct {
	filename string
	src      []byte   // the text that was parsed (see splitOneLineBlocks)
	lines    *lineMap // maps positions in src back to the user's file; nil if src is the file
	diags    hcl.Diagnostics
	scope    *scope // var, local and functions (hcl_scope.go)
}

func parseHCL(filename string, src []byte, opts ParseOptions) (*structs.Job, error) {
	text, inserted := splitOneLineBlocks(src, filename)
	var lines *lineMap
	if len(inserted) > 0 {
		lines = newLineMap(src, inserted)
	}
	file, diags := hclsyntax.ParseConfig(text, filename, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		// A body with syntax errors is only partly built; decoding it would
		// add confusing follow-up errors.
		lines.remap(diags)
		return nil, newDiagnosticsError(diags)
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("%s: internal error: unexpected HCL body type %T", filename, file.Body)
	}
	d := &hclDecoder{filename: filename, src: text, lines: lines}
	// First pass: variables and locals, so that the job can use them. Their
	// problems are reported alone: decoding the job with missing values
	// would only add follow-up errors.
	extDiags := d.buildScope(body, opts, opts.BaseDir)
	if d.diags.HasErrors() || extDiags.HasErrors() {
		lines.remap(d.diags)
		return nil, newDiagnosticsError(append(d.diags, extDiags...))
	}
	job := newBlockValue(reflect.TypeFor[structs.Job]())
	if jobBlock := d.findJobBlock(body); jobBlock != nil {
		d.decodeBlock(jobBlock, job.Elem())
	}
	lines.remap(d.diags)
	if err := newDiagnosticsError(d.diags); err != nil {
		return nil, err
	}
	return job.Interface().(*structs.Job), nil
}

// line returns the line of a range in the user's file, for messages that
// point to an earlier definition.
func (d *hclDecoder) line(r hcl.Range) int { return d.lines.pos(r.Start).Line }

// findJobBlock returns the file's only job block and reports anything else
// at the top level.
func (d *hclDecoder) findJobBlock(body *hclsyntax.Body) *hclsyntax.Block {
	for _, attr := range sortedAttributes(body) {
		d.diags = append(d.diags, errorAt(attr.NameRange, "Unsupported argument",
			fmt.Sprintf("An argument named %q is not expected here. A job file holds one job block: job \"<id>\" { ... }.", attr.Name)))
	}
	var job *hclsyntax.Block
	for _, blk := range body.Blocks {
		switch {
		case blk.Type == "variable" || blk.Type == "locals":
			// Read by the first pass (buildScope).
		case blk.Type != "job":
			d.diags = append(d.diags, errorAt(blk.TypeRange, "Unsupported block type",
				fmt.Sprintf("Blocks of type %q are not expected here. A job file holds one job block: job \"<id>\" { ... }, with variable and locals blocks beside it.", blk.Type)))
		case job != nil:
			d.diags = append(d.diags, errorAt(blk.TypeRange, "Duplicate job block",
				fmt.Sprintf("A job file holds exactly one job; the first job block is at line %d. Put each job in its own file.", d.line(job.TypeRange))))
		default:
			job = blk
		}
	}
	if job == nil && !d.diags.HasErrors() {
		start := hcl.Range{Filename: d.filename, Start: body.SrcRange.Start, End: body.SrcRange.Start}
		d.diags = append(d.diags, errorAt(start, "Missing job block",
			"A job file must contain a job block: job \"<id>\" { group \"<name>\" { task \"<name>\" { ... } } }."))
	}
	return job
}

// newBlockValue returns a pointer to a new value of struct type t, holding
// the defaults that JSON decoding would give: when t has its own
// UnmarshalJSON (structs.TaskGroup defaults count to 1), it is run on "{}",
// so each default is written once, in structs, for both formats.
func newBlockValue(t reflect.Type) reflect.Value {
	p := reflect.New(t)
	if u, ok := p.Interface().(json.Unmarshaler); ok {
		if err := u.UnmarshalJSON([]byte("{}")); err != nil {
			p = reflect.New(t)
		}
	}
	return p
}

// decodeBlock fills target (an addressable struct) from a block: its labels
// and its body.
func (d *hclDecoder) decodeBlock(blk *hclsyntax.Block, target reflect.Value) {
	s := schemaOf(target.Type())
	d.checkLabels(blk, s)
	for i, label := range blk.Labels {
		if i < len(s.labels) && s.labels[i].typ.Kind() == reflect.String {
			target.FieldByIndex(s.labels[i].index).SetString(label)
		}
	}
	d.decodeBody(blk.Body, target, blk.Type, s)
}

func (d *hclDecoder) checkLabels(blk *hclsyntax.Block, s *hclSchema) {
	want, got := len(s.labels), len(blk.Labels)
	if got == want {
		return
	}
	usage := fmt.Sprintf("%s { ... }", blk.Type)
	need := "no labels"
	if want > 0 {
		usage = fmt.Sprintf("%s \"<%s>\" { ... }", blk.Type, s.labelNames())
		need = fmt.Sprintf("its %s as a label", s.labelNames())
	}
	if got < want {
		d.diags = append(d.diags, errorAt(blk.DefRange(), "Missing block label",
			fmt.Sprintf("A %s block needs %s: %s.", blk.Type, need, usage)))
		return
	}
	d.diags = append(d.diags, errorAt(hcl.RangeBetween(blk.LabelRanges[want], blk.LabelRanges[got-1]),
		"Extraneous block label", fmt.Sprintf("A %s block takes %s: %s.", blk.Type, need, usage)))
}

// decodeBody fills target from the arguments and nested blocks of a body.
// blockType names the enclosing block in messages.
func (d *hclDecoder) decodeBody(body *hclsyntax.Body, target reflect.Value, blockType string, s *hclSchema) {
	// defined remembers where single-valued names were first set, to
	// report a second definition (two resources blocks, env as both forms).
	defined := map[string]hcl.Range{}
	for _, attr := range sortedAttributes(body) {
		d.decodeAttribute(attr, target, blockType, s, defined)
	}
	for _, blk := range body.Blocks {
		d.decodeNestedBlock(blk, target, blockType, s, defined)
	}
}

func (d *hclDecoder) decodeAttribute(attr *hclsyntax.Attribute, target reflect.Value, blockType string, s *hclSchema, defined map[string]hcl.Range) {
	f := s.fields[attr.Name]
	if f == nil && d.nomadAttributeForm(attr, target, blockType) {
		return
	}
	switch {
	case f == nil:
		d.diags = append(d.diags, errorAt(attr.NameRange, "Unsupported argument", unknownArgumentDetail(attr.Name, blockType, s)))
		return
	case f.serverOnly:
		d.diags = append(d.diags, errorAt(attr.NameRange, "Unsupported argument",
			fmt.Sprintf("%q is set by the servers and cannot be written in a job file.", attr.Name)))
		return
	case f.block && !f.isMap():
		d.diags = append(d.diags, errorAt(attr.NameRange, "Unsupported argument",
			fmt.Sprintf("%q is a block, not an argument: write %s { ... } without \"=\".", attr.Name, attr.Name)))
		return
	}
	defined[attr.Name] = attr.SrcRange
	val, diags := d.evalExpr(attr.Expr)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return
	}
	d.assign(fieldOf(target, f), attr.Name, val, attr.Expr.Range(), attr.SrcRange)
}

// unknownArgumentDetail explains an unknown argument and, where it can,
// what was probably meant.
func unknownArgumentDetail(name, blockType string, s *hclSchema) string {
	if nomad := nomadOnlyDetail(name, blockType); nomad != "" {
		return nomad
	}
	detail := fmt.Sprintf("An argument named %q is not expected here.", name)
	for _, l := range s.labels {
		if l.jsonName == name {
			return detail + fmt.Sprintf(" The %s of a %s is its block label: %s \"<%s>\" { ... }.", name, blockType, blockType, name)
		}
	}
	if f := s.byJSONName[name]; f != nil {
		return detail + fmt.Sprintf(" Write one %s { ... } block for each item instead.", f.name)
	}
	if home := s.nestedArgumentHome(name); home != "" {
		return detail + fmt.Sprintf(" It is an argument of the %s block: %s { %s = ... }.", home, home, name)
	}
	if guess := suggestName(name, s.names()); guess != "" {
		return detail + fmt.Sprintf(" Did you mean %q?", guess)
	}
	return detail
}

func (d *hclDecoder) decodeNestedBlock(blk *hclsyntax.Block, target reflect.Value, blockType string, s *hclSchema, defined map[string]hcl.Range) {
	f := s.fields[blk.Type]
	if f == nil && d.nomadBlockForm(blk, target, blockType) {
		return
	}
	switch {
	case f == nil || f.serverOnly:
		detail := fmt.Sprintf("Blocks of type %q are not expected here.", blk.Type)
		if nomad := nomadOnlyDetail(blk.Type, blockType); f == nil && nomad != "" {
			detail = nomad
		} else if f == nil {
			if guess := suggestName(blk.Type, s.names()); guess != "" {
				detail += fmt.Sprintf(" Did you mean %q?", guess)
			}
		}
		d.diags = append(d.diags, errorAt(blk.TypeRange, "Unsupported block type", detail))
		return
	case !f.block && !f.isMap():
		d.diags = append(d.diags, errorAt(blk.TypeRange, "Unsupported block type",
			fmt.Sprintf("%q is an argument, not a block: write %s = <value>.", blk.Type, blk.Type)))
		return
	}
	fv := fieldOf(target, f)
	if f.typ.Kind() == reflect.Slice {
		d.appendBlock(blk, fv)
		return
	}
	if first, dup := defined[blk.Type]; dup {
		d.diags = append(d.diags, errorAt(blk.TypeRange, fmt.Sprintf("Duplicate %s", blk.Type),
			fmt.Sprintf("Only one %s may be given in a %s; it is already set at line %d.", blk.Type, blockType, d.line(first))))
		return
	}
	defined[blk.Type] = blk.DefRange()
	switch f.typ.Kind() {
	case reflect.Map:
		d.decodeMapBlock(blk, fv)
	case reflect.Pointer:
		if f.typ.Elem().Kind() != reflect.Struct {
			d.unsupportedField(blk, f)
			return
		}
		p := newBlockValue(f.typ.Elem())
		d.decodeBlock(blk, p.Elem())
		fv.Set(p)
	case reflect.Struct:
		p := newBlockValue(f.typ)
		d.decodeBlock(blk, p.Elem())
		fv.Set(p.Elem())
	default:
		d.unsupportedField(blk, f)
	}
}

// appendBlock decodes one of several repeated blocks into a slice of
// structs or of pointers to structs.
func (d *hclDecoder) appendBlock(blk *hclsyntax.Block, slice reflect.Value) {
	elem := slice.Type().Elem()
	structType := elem
	if elem.Kind() == reflect.Pointer {
		structType = elem.Elem()
	}
	if structType.Kind() != reflect.Struct {
		d.diags = append(d.diags, errorAt(blk.TypeRange, "Unsupported block type",
			fmt.Sprintf("internal error: blocks of type %q cannot be decoded into %s", blk.Type, slice.Type())))
		return
	}
	p := newBlockValue(structType)
	d.decodeBlock(blk, p.Elem())
	if elem.Kind() == reflect.Pointer {
		slice.Set(reflect.Append(slice, p))
	} else {
		slice.Set(reflect.Append(slice, p.Elem()))
	}
}

func (d *hclDecoder) unsupportedField(blk *hclsyntax.Block, f *hclField) {
	d.diags = append(d.diags, errorAt(blk.TypeRange, "Unsupported block type",
		fmt.Sprintf("internal error: blocks of type %q cannot be decoded into %s", blk.Type, f.typ)))
}

// fieldOf returns the settable field; schema fields go only through
// embedded struct values, never pointers, so FieldByIndex cannot panic.
func fieldOf(target reflect.Value, f *hclField) reflect.Value {
	return target.FieldByIndex(f.index)
}

// sortedAttributes returns a body's attributes in source order; the parser
// keeps them in a map, and messages must come out in a stable order.
func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool {
		return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte
	})
	return attrs
}
