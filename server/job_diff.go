package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// diffJobs lists the fields that differ between the running job (nil for
// a new job) and the submitted one.
func diffJobs(old, new *structs.Job) (*structs.JobDiff, error) {
	if old == nil {
		return &structs.JobDiff{Type: "added"}, nil
	}
	a, err := flattenJob(old)
	if err != nil {
		return nil, err
	}
	b, err := flattenJob(new)
	if err != nil {
		return nil, err
	}
	d := &structs.JobDiff{Type: "none"}
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			d.Fields = append(d.Fields, &structs.FieldDiff{Path: k, Old: a[k], New: b[k]})
		}
	}
	if len(d.Fields) > 0 {
		d.Type = "edited"
	}
	return d, nil
}

// flattenJob turns a job into dotted paths and their JSON values. Lists of
// named objects are keyed by name ("groups[web]"), others by position.
func flattenJob(j *structs.Job) (map[string]string, error) {
	// Server-owned fields are left out of diffs: users do not set them.
	c := j.Copy()
	c.ClearServerOwned()
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode job %q for diff: %w", j.ID, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode job %q for diff: %w", j.ID, err)
	}
	delete(m, "version") // the only server field without omitempty
	out := map[string]string{}
	flattenValue("", m, out)
	return out, nil
}

func flattenValue(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			flattenValue(joinPath(path, k), val, out)
		}
	case []any:
		for i, val := range x {
			flattenValue(fmt.Sprintf("%s[%s]", path, elemKey(val, i)), val, out)
		}
	default:
		b, _ := json.Marshal(x)
		out[path] = string(b)
	}
}

func elemKey(v any, i int) string {
	if m, ok := v.(map[string]any); ok {
		for _, k := range []string{"name", "label", "value"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return fmt.Sprint(i)
}

func joinPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return strings.Join([]string{prefix, k}, ".")
}
