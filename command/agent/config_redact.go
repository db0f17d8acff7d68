package agent

import (
	"reflect"
	"strings"
)

// Redacted is what /v1/agent/self shows for a secret setting that is set.
const Redacted = "<redacted>"

// secretSetting reports whether a setting holds a secret, by its name in
// the config file. Going by name means that a token added to the config
// later is hidden without anyone remembering this function.
func secretSetting(name string) bool {
	return strings.HasSuffix(name, "token") || strings.Contains(name, "secret") ||
		strings.Contains(name, "password") || name == "encrypt"
}

// redactedView is the configuration as the config file names it, with
// every secret setting replaced by Redacted, for /v1/agent/self.
func (c *Config) redactedView() map[string]any {
	v, _ := redactValue(reflect.ValueOf(c)).(map[string]any)
	return v
}

func redactValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return redactValue(v.Elem())
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("hcl"), ",")
			if name == "" || !f.IsExported() {
				continue // not a setting (DevMode, internal fields)
			}
			fv := v.Field(i)
			if secretSetting(name) {
				if !fv.IsZero() {
					out[name] = Redacted
				}
				continue
			}
			if r := redactValue(fv); r != nil {
				out[name] = r
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = redactValue(v.Index(i))
		}
		return out
	default:
		return v.Interface()
	}
}
