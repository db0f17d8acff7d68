package structs

import (
	"fmt"
	"reflect"
	"strings"
)

// nullEntries lists the null elements of the job's lists and maps of
// objects, such as `"groups": [null]` in JSON or a nil in a msgpack RPC
// body. Canonicalize and Validate walk those lists assuming every element
// is there; a null one would crash the agent or server that handles the
// job, so Canonicalize leaves such a job alone and Validate refuses it,
// naming each null.
func (j *Job) nullEntries() []string {
	var out []string
	walkNulls(reflect.ValueOf(j).Elem(), "job", &out, 0)
	return out
}

// maxNullDepth bounds the walk: job structs nest a few levels, and
// free-form config maps (map[string]any) are not walked at all.
const maxNullDepth = 12

func walkNulls(v reflect.Value, path string, out *[]string, depth int) {
	if depth > maxNullDepth {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkNulls(v.Elem(), path, out, depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			walkNulls(v.Field(i), path+"."+fieldName(f), out, depth+1)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Pointer {
			return
		}
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if e.IsNil() {
				*out = append(*out, fmt.Sprintf("%s[%d]", path, i))
				continue
			}
			walkNulls(e, fmt.Sprintf("%s[%d]", path, i), out, depth+1)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Pointer {
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			key := fmt.Sprintf("%s[%v]", path, iter.Key())
			if iter.Value().IsNil() {
				*out = append(*out, key)
				continue
			}
			walkNulls(iter.Value(), key, out, depth+1)
		}
	}
}

// fieldName is the field's JSON name, the one a user wrote.
func fieldName(f reflect.StructField) string {
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
		return tag
	}
	return f.Name
}
