package jobspec

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// jsonField is one object key that encoding/json would decode into a struct.
type jsonField struct {
	name     string
	typ      reflect.Type
	asString bool // `json:",string"`: the scalar is written inside a JSON string
	depth    int  // how deeply embedded, for encoding/json's dominance rule
	tagged   bool
}

// jsonFieldCache maps a struct type to its map[string]jsonField. Request
// bodies are decoded on every API call, so the reflection is done once.
var jsonFieldCache sync.Map

// jsonFieldsOf returns the keys a struct accepts, following the rules of
// encoding/json: tag names, Go names for untagged fields, fields of untagged
// embedded structs promoted, `json:"-"` skipped. Unlike encoding/json, the
// caller matches keys exactly (no case folding).
func jsonFieldsOf(t reflect.Type) map[string]jsonField {
	if cached, ok := jsonFieldCache.Load(t); ok {
		return cached.(map[string]jsonField)
	}
	var all []jsonField
	collectJSONFields(t, 0, map[reflect.Type]bool{}, &all)
	fields := dominantFields(all)
	jsonFieldCache.Store(t, fields)
	return fields
}

func collectJSONFields(t reflect.Type, depth int, visiting map[reflect.Type]bool, out *[]jsonField) {
	if visiting[t] {
		return // a struct embedding itself through a pointer
	}
	visiting[t] = true
	defer delete(visiting, t)
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous {
			if !sf.IsExported() && ft.Kind() != reflect.Struct {
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
			collectJSONFields(ft, depth+1, visiting, out)
			continue
		}
		tagged := name != ""
		if !tagged {
			name = sf.Name
		}
		*out = append(*out, jsonField{
			name:     name,
			typ:      sf.Type,
			asString: hasOption(opts, "string") && isScalarKind(ft.Kind()),
			depth:    depth,
			tagged:   tagged,
		})
	}
}

// dominantFields resolves duplicate names like encoding/json: the shallowest
// field wins; at equal depth a single tagged field wins; otherwise the name
// is ambiguous and encoding/json ignores it, so it is not accepted either.
func dominantFields(all []jsonField) map[string]jsonField {
	byName := map[string][]jsonField{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	out := make(map[string]jsonField, len(byName))
	for name, cands := range byName {
		minDepth := cands[0].depth
		for _, f := range cands {
			minDepth = min(minDepth, f.depth)
		}
		var shallow, taggedOnes []jsonField
		for _, f := range cands {
			if f.depth == minDepth {
				shallow = append(shallow, f)
				if f.tagged {
					taggedOnes = append(taggedOnes, f)
				}
			}
		}
		switch {
		case len(shallow) == 1:
			out[name] = shallow[0]
		case len(taggedOnes) == 1:
			out[name] = taggedOnes[0]
		}
	}
	return out
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// customUnmarshaler returns the json.Unmarshaler of a fresh *t, if any.
func customUnmarshaler(t reflect.Type) (json.Unmarshaler, bool) {
	if !reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return nil, false
	}
	u, ok := reflect.New(t).Interface().(json.Unmarshaler)
	return u, ok
}

// textUnmarshaler returns the encoding.TextUnmarshaler of a fresh *t, if any.
func textUnmarshaler(t reflect.Type) (encoding.TextUnmarshaler, bool) {
	if !reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil, false
	}
	u, ok := reflect.New(t).Interface().(encoding.TextUnmarshaler)
	return u, ok
}

// lineCol turns a byte offset into a 1-based line and column; the column
// counts characters, not bytes, as editors do.
func lineCol(data []byte, off int) (int, int) {
	off = max(0, min(off, len(data)))
	line, lineStart := 1, 0
	for i := 0; i < off; i++ {
		if data[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return line, utf8.RuneCount(data[lineStart:off]) + 1
}

// skipSeparators moves off past the white space, ':' and ',' that
// json.Decoder leaves in front of the next token.
func skipSeparators(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// joinPath appends an object key to a path such as groups[0].tasks[1];
// keys that are not plain words are quoted: meta["rack.id"].
func joinPath(path, key string) string {
	if !isPlainKey(key) {
		return path + "[" + quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
