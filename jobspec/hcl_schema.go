package jobspec

import (
	"reflect"
	"sort"
	"strings"
	"sync"
)

// hclField says how one Go struct field is written in an HCL body.
type hclField struct {
	name       string // argument name or block type
	jsonName   string
	index      []int // reflect index path, through embedded structs
	typ        reflect.Type
	block      bool // hcl:"name,block"
	serverOnly bool // hcl:"-": set by the servers
}

// isMap reports whether the field is a map, which HCL accepts both as an
// argument (`env = { K = "v" }`) and as a block (`env { K = "v" }`).
func (f *hclField) isMap() bool { return f.typ.Kind() == reflect.Map }

// hclSchema is the HCL view of a struct type, derived from its tags.
type hclSchema struct {
	labels []*hclField          // filled from the block labels, in order
	fields map[string]*hclField // arguments and blocks by HCL name
	// byJSONName finds block fields by their JSON key ("constraints"), to
	// tell a user who writes `constraints = [...]` to use blocks instead.
	byJSONName map[string]*hclField
}

var hclSchemaCache sync.Map // reflect.Type → *hclSchema

func schemaOf(t reflect.Type) *hclSchema {
	if cached, ok := hclSchemaCache.Load(t); ok {
		return cached.(*hclSchema)
	}
	s := &hclSchema{fields: map[string]*hclField{}, byJSONName: map[string]*hclField{}}
	s.add(t, nil)
	hclSchemaCache.Store(t, s)
	return s
}

func (s *hclSchema) add(t reflect.Type, index []int) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		jsonTag := sf.Tag.Get("json")
		jsonName, _, _ := strings.Cut(jsonTag, ",")
		if sf.Anonymous && jsonName == "" && sf.Type.Kind() == reflect.Struct {
			s.add(sf.Type, append(append([]int(nil), index...), i)) // promoted fields
			continue
		}
		if !sf.IsExported() || jsonTag == "-" {
			continue
		}
		if jsonName == "" {
			jsonName = sf.Name
		}
		f := &hclField{
			name:     jsonName,
			jsonName: jsonName,
			index:    append(append([]int(nil), index...), i),
			typ:      sf.Type,
		}
		hclName, kind, _ := strings.Cut(sf.Tag.Get("hcl"), ",")
		switch {
		case hclName == "-":
			f.serverOnly = true
		case kind == "label":
			s.labels = append(s.labels, f)
			continue
		case kind == "block":
			f.block = true
			if hclName != "" {
				f.name = hclName
			}
			s.byJSONName[jsonName] = f
		}
		s.fields[f.name] = f
	}
}

// labelNames describes the labels of a block for messages: "its id".
func (s *hclSchema) labelNames() string {
	names := make([]string, len(s.labels))
	for i, l := range s.labels {
		names[i] = l.jsonName
	}
	return strings.Join(names, ", ")
}

// names lists the arguments and blocks a user may write, for suggestions.
func (s *hclSchema) names() []string {
	out := make([]string, 0, len(s.fields))
	for name, f := range s.fields {
		if !f.serverOnly {
			out = append(out, name)
		}
	}
	return out
}

// nestedArgumentHome names the block, one level inside this one, that
// takes name as an argument ("" when none does): a user who writes a
// group's max_run_duration in the job block is told where it goes. Blocks
// are tried in name order, so the answer does not vary between runs.
func (s *hclSchema) nestedArgumentHome(name string) string {
	var blocks []*hclField
	for _, f := range s.fields {
		if f.block && !f.serverOnly {
			blocks = append(blocks, f)
		}
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].name < blocks[j].name })
	for _, b := range blocks {
		t := b.typ
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			continue
		}
		if f := schemaOf(t).fields[name]; f != nil && !f.block && !f.serverOnly {
			return b.name
		}
	}
	return ""
}
