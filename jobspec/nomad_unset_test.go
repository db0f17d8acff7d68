package jobspec

import (
	"reflect"
	"sort"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// jobStructTypes collects the struct types reachable from a Job, by Go type
// name: the types nomadRenames and nomadUnset are keyed by.
func jobStructTypes() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != structsPkg {
			return
		}
		if _, seen := out[t.Name()]; seen {
			return
		}
		out[t.Name()] = t
		for i := 0; i < t.NumField(); i++ {
			walk(t.Field(i).Type)
		}
	}
	walk(reflect.TypeFor[structs.Job]())
	return out
}

// TestNomadUnsetListsOnlyMissingFields: nomadUnset names the Nomad fields
// appmesh has no equivalent for. Once appmesh gains one, the decoder reads
// it as a real field and the list entry is dead; this keeps the list true.
func TestNomadUnsetListsOnlyMissingFields(t *testing.T) {
	types := jobStructTypes()
	var stale []string
	for typeName, keys := range nomadUnset {
		rt, ok := types[typeName]
		if !ok {
			t.Errorf("nomadUnset names type %q, which a job does not contain", typeName)
			continue
		}
		fields := jsonFieldsOf(rt)
		for _, key := range keys {
			target, _ := nomadKeyFor(typeName, key)
			if _, has := fields[target]; has && target != "" {
				stale = append(stale, typeName+"."+key+" (appmesh: "+target+")")
			}
		}
	}
	sort.Strings(stale)
	for _, s := range stale {
		t.Errorf("nomadUnset lists %s, which appmesh now has", s)
	}
	if len(types) < 10 {
		t.Fatalf("found only %d struct types under Job: the walk is broken", len(types))
	}
}
