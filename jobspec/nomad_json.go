package jobspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// Nomad's HTTP API writes a job as {"Job": {"ID": ..., "TaskGroups": [...]}}
// with PascalCase keys, nanosecond durations and a few shapes of its own
// (constraints as LTarget/Operand/RTarget, a list of networks with
// DynamicPorts and ReservedPorts). A user moving from Nomad has such files
// (`nomad job run -output`) and scripts that PUT them, so appmesh reads
// them: the Nomad document is translated key by key into appmesh's own JSON
// form, next to the Go type that will receive it, and then decoded by the
// same strict decoder as any other JSON job. Problems are reported with
// the path as the user wrote it: Job.TaskGroups[0].Tasks[0].Foo.

// NomadRegister is what a Nomad register request carries that appmesh uses.
type NomadRegister struct {
	Job            *structs.Job
	EnforceIndex   bool
	JobModifyIndex uint64
	// Diff is a plan request's "Diff" (PUT /v1/job/<id>/plan).
	Diff bool
}

// IsNomadJSON reports whether src is a JSON object in Nomad's API form: a
// register body with a top-level "Job" key, or a bare Nomad job (it has
// "TaskGroups", which appmesh's form spells "groups").
func IsNomadJSON(src []byte) bool {
	src = bytes.TrimPrefix(src, utf8BOM)
	return hasTopLevelKey(src, "Job") || hasTopLevelKey(src, "TaskGroups")
}

// ParseNomadJSON decodes a job in Nomad's API JSON, wrapped in a register
// body or bare. name is used in messages.
func ParseNomadJSON(name string, src []byte) (*NomadRegister, error) {
	src = bytes.TrimPrefix(src, utf8BOM)
	var doc any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		// The strict decoder explains syntax errors with a position.
		var v map[string]any
		if serr := StrictDecodeJSON(name, src, &v); serr != nil {
			return nil, serr
		}
		return nil, validationf("%s: invalid JSON: %v", name, err)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, validationf("%s: expected a JSON object, got %s", name, jsonKind(doc))
	}
	tr := &nomadTranslator{pathMap: map[string]string{}}
	out := &NomadRegister{}
	jobDoc, jobPath := any(top), "Job"
	if _, wrapped := top["Job"]; wrapped {
		jobDoc = top["Job"]
		tr.registerFields(top, out)
	}
	if jobDoc == nil {
		return nil, validationf("%s: \"Job\" is null: expected the job object, as in {\"Job\": {\"ID\": \"web\", ...}}", name)
	}
	translated := tr.value(jobDoc, reflect.TypeFor[structs.Job](), jobPath, "")
	if len(tr.problems) > 0 {
		return nil, tr.errorFor(name)
	}
	data, err := json.Marshal(translated)
	if err != nil {
		return nil, fmt.Errorf("%s: internal error: re-encoding the translated job: %w", name, err)
	}
	job := &structs.Job{}
	if err := StrictDecodeJSON("", data, job); err != nil {
		return nil, tr.rewrite(name, err)
	}
	out.Job = job
	return out, nil
}

// registerFields reads the register request's own keys beside "Job".
func (tr *nomadTranslator) registerFields(top map[string]any, out *NomadRegister) {
	for _, key := range sortedKeys(top) {
		v := top[key]
		switch key {
		case "Job":
		case "EnforceIndex", "Diff":
			b, ok := v.(bool)
			if !ok && v != nil {
				tr.problem(key, "expected true or false, got %s", jsonKind(v))
			}
			if key == "Diff" {
				out.Diff = b
			} else {
				out.EnforceIndex = b
			}
		case "JobModifyIndex":
			if v == nil {
				continue
			}
			n, ok := v.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 0 {
				tr.problem(key, "expected a whole number that is not negative, got %v", v)
				continue
			}
			out.JobModifyIndex = uint64(i)
		case "Submission":
			// The job's source text, kept by Nomad for display; appmesh
			// stores the job itself.
		case "PolicyOverride", "PreserveCounts", "EvalPriority", "Region", "Namespace", "SecretID":
			if !isEmptyJSON(v) {
				tr.problem(key, "%s", nomadIgnoredMessage(key))
			}
		default:
			tr.problem(key, "%s", unknownNomadKey(key, []string{"Job", "EnforceIndex", "JobModifyIndex", "Submission", "Diff"}))
		}
	}
}

// nomadTranslator turns a decoded Nomad document into appmesh's JSON form.
type nomadTranslator struct {
	problems []string
	// pathMap maps appmesh paths (groups[0].count) back to Nomad's
	// (Job.TaskGroups[0].Count) for the strict decoder's messages.
	pathMap map[string]string
}

func (tr *nomadTranslator) problem(path, format string, args ...any) {
	if len(tr.problems) == maxJSONProblems {
		tr.problems = append(tr.problems, "(stopped after the first problems; fix these and try again)")
	}
	if len(tr.problems) > maxJSONProblems {
		return
	}
	tr.problems = append(tr.problems, path+": "+fmt.Sprintf(format, args...))
}

func (tr *nomadTranslator) errorFor(name string) error {
	out := make([]string, len(tr.problems))
	for i, p := range tr.problems {
		out[i] = name + ": " + p
	}
	return &structs.ValidationError{Problems: out}
}

// value translates v, which will be decoded into t.
func (tr *nomadTranslator) value(v any, t reflect.Type, npath, apath string) any {
	tr.pathMap[apath] = npath
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	if special, ok := nomadSpecial[t.Name()]; ok && t.PkgPath() == structsPkg {
		if out, handled := special(tr, v, npath, apath); handled {
			return out
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if _, custom := customUnmarshaler(t); custom && len(jsonFieldsOf(t)) == 0 {
			return v // e.g. structs.Duration: nanoseconds are accepted as they are
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return v // the strict decoder reports the wrong type
		}
		return tr.object(obj, t, npath, apath)
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = tr.value(e, t.Elem(), fmt.Sprintf("%s[%d]", npath, i), fmt.Sprintf("%s[%d]", apath, i))
		}
		return out
	case reflect.Map:
		// meta, env, config: the user's own keys, kept as written.
		return v
	}
	return v
}

// object translates a Nomad object into the appmesh struct type t.
func (tr *nomadTranslator) object(obj map[string]any, t reflect.Type, npath, apath string) map[string]any {
	fields := jsonFieldsOf(t)
	out := map[string]any{}
	for _, key := range sortedKeys(obj) {
		v := obj[key]
		kpath := npath + "." + key
		target, known := nomadKeyFor(t.Name(), key)
		f, ok := fields[target]
		if !startsUpper(key) {
			ok = false // "count" in a Nomad document is a mistake for "Count"
		}
		switch {
		case known && target == "":
			continue // a Nomad field with no meaning in appmesh (see nomadDropped)
		case ok:
			if _, dup := out[target]; dup {
				tr.problem(kpath, "sets %q a second time", target)
				continue
			}
			out[target] = tr.value(v, f.typ, kpath, joinPath(apath, target))
		case (isEmptyJSON(v) || isNomadDefault(key, v)) && nomadEmptyOK(t.Name(), key):
			// Nomad's own output lists every field, null when unset.
		default:
			tr.problem(kpath, "%s", tr.unknownMessage(t, key, fields))
		}
	}
	return out
}

// unknownMessage explains a key appmesh cannot take: a Nomad feature it
// lacks, a known Nomad field set to a value, or an unknown key.
func (tr *nomadTranslator) unknownMessage(t reflect.Type, key string, fields map[string]jsonField) string {
	if block := blockTypeOf(t); block != "" {
		if msg := nomadOnlyDetail(snakeCase(key), block); msg != "" {
			return msg
		}
	}
	if nomadEmptyOK(t.Name(), key) {
		return nomadIgnoredMessage(key)
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, pascalCase(name))
	}
	return unknownNomadKey(key, names)
}

func unknownNomadKey(key string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return fmt.Sprintf("unknown field (did you mean %q? keys of Nomad's JSON are PascalCase)", n)
		}
	}
	if s := suggestName(key, names); s != "" {
		return fmt.Sprintf("unknown field (did you mean %q?)", s)
	}
	return "unknown field"
}

func nomadIgnoredMessage(key string) string {
	return fmt.Sprintf("%s is a Nomad setting appmesh does not have; leave it out or set it to null", key)
}

// rewrite turns the strict decoder's messages about the translated
// document (":3:9: groups[0].count: ...") into messages about the user's
// (Job.TaskGroups[0].Count: ...).
func (tr *nomadTranslator) rewrite(name string, err error) error {
	var ve *structs.ValidationError
	if !asValidation(err, &ve) {
		return err
	}
	out := make([]string, 0, len(ve.Problems))
	for _, p := range ve.Problems {
		// Drop the "line:col: " of the re-encoded text: it is not the user's.
		if i := strings.Index(p, ": "); i > 0 && strings.Count(p[:i], ":") == 1 {
			p = p[i+2:]
		}
		if path, msg, ok := strings.Cut(p, ": "); ok {
			if npath, found := tr.pathMap[path]; found {
				p = npath + ": " + msg
			}
		}
		out = append(out, name+": "+p)
	}
	return &structs.ValidationError{Problems: out}
}

func validationf(format string, args ...any) error {
	return &structs.ValidationError{Problems: []string{fmt.Sprintf(format, args...)}}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isEmptyJSON reports a null, false, 0, "", [] or {} value.
func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		// Nomad writes {"Mode": ""} for an unset mesh gateway: an object
		// of empty values holds nothing either.
		for _, e := range x {
			if !isEmptyJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

func startsUpper(s string) bool {
	return s != "" && s[0] >= 'A' && s[0] <= 'Z'
}
