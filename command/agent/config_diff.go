package agent

import (
	"reflect"
	"strings"
)

// changedSettings lists the settings that differ between two
// configurations, named as the config file names them ("log_level",
// "ports.http", "client.meta", "consul.token"). A block that appears or
// disappears is named once ("consul"); maps, lists and repeated blocks are
// compared whole. Empty and absent maps or lists are the same setting.
// Only names are returned, never values: some settings are secrets.
func changedSettings(old, next *Config) []string {
	var out []string
	diffValue("", reflect.ValueOf(old).Elem(), reflect.ValueOf(next).Elem(), &out)
	return out
}

func diffValue(prefix string, a, b reflect.Value, out *[]string) {
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("hcl"), ",")
		if name == "" || !f.IsExported() {
			continue // not a setting (DevMode)
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		fa, fb := a.Field(i), b.Field(i)
		if isBlock(fa) && !fa.IsNil() && !fb.IsNil() {
			diffValue(path, fa.Elem(), fb.Elem(), out)
			continue
		}
		if !sameSetting(fa, fb) {
			*out = append(*out, path)
		}
	}
}

// isBlock reports whether v is a pointer to a struct: a config block.
func isBlock(v reflect.Value) bool {
	return v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct
}

func sameSetting(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Map, reflect.Slice:
		if a.Len() == 0 && b.Len() == 0 {
			return true
		}
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
