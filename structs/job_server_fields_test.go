package structs

import (
	"reflect"
	"testing"
)

// Every Job field that HCL cannot set (tag hcl:"-") is server-owned and
// must be zeroed by ClearServerOwned: a field added to the server block
// and forgotten here would make `job plan -diff` report an edit, or let a
// user set it through the API.
func TestJobServerOwnedFieldsCleared(t *testing.T) {
	j := &Job{}
	v := reflect.ValueOf(j).Elem()
	var owned []string
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Tag.Get("hcl") != "-" {
			continue
		}
		owned = append(owned, f.Name)
		setNonZero(t, f.Name, v.Field(i))
	}
	if len(owned) < 10 {
		t.Fatalf("found %d hcl:\"-\" fields (%v); expected the server block of Job", len(owned), owned)
	}
	j.ClearServerOwned()
	for _, name := range owned {
		if !v.FieldByName(name).IsZero() {
			t.Errorf("ClearServerOwned leaves Job.%s set: add it to structs/job_server_fields.go", name)
		}
	}
}

func setNonZero(t *testing.T, name string, f reflect.Value) {
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(true)
	case reflect.String:
		f.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		f.SetInt(7)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		f.SetUint(7)
	case reflect.Slice:
		f.Set(reflect.MakeSlice(f.Type(), 1, 1))
	case reflect.Pointer:
		f.Set(reflect.New(f.Type().Elem()))
	default:
		t.Fatalf("Job.%s has kind %s; teach setNonZero about it", name, f.Kind())
	}
}
