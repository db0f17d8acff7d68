package jobspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// Formats accepted by Parse.
const (
	FormatHCL  = "hcl"
	FormatJSON = "json"
)

// utf8BOM is dropped from the start of a file: some editors on Windows add
// it and neither the HCL nor the JSON parser accepts it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseFile reads a job file and parses it. A ".json" file is JSON; any
// other file is HCL unless its content starts with '{', in which case it is
// JSON too (e.g. the output of `appmesh job inspect` saved as "web.job").
func ParseFile(path string) (*structs.Job, error) {
	return ParseFileWithOptions(path, ParseOptions{})
}

// ParseFileWithOptions is ParseFile with values for the file's variables.
func ParseFileWithOptions(path string, opts ParseOptions) (*structs.Job, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read job file: %w", err)
	}
	format := ""
	if strings.EqualFold(filepath.Ext(path), ".json") {
		format = FormatJSON
	}
	if opts.BaseDir == "" {
		opts.BaseDir = filepath.Dir(path)
	}
	return ParseWithOptions(path, src, format, opts)
}

// Parse parses a job from src. format is "hcl", "json" or "" to detect it
// from the content. filename is only used in error messages.
//
// Errors are *structs.ValidationError (JSON) or *DiagnosticsError (HCL,
// which unwraps to a *structs.ValidationError), so structs.IsValidation
// reports true for any problem in the input.
func Parse(filename string, src []byte, format string) (*structs.Job, error) {
	return ParseWithOptions(filename, src, format, ParseOptions{})
}

// ParseWithOptions is Parse with values for an HCL file's variables. A JSON
// job (the API form) has no variables, so giving it -var or -var-file
// values is an error rather than silently ignored.
func ParseWithOptions(filename string, src []byte, format string, opts ParseOptions) (*structs.Job, error) {
	src = bytes.TrimPrefix(src, utf8BOM)
	switch strings.ToLower(format) {
	case "":
		if looksLikeJSON(src) {
			return parseJSONWithOptions(filename, src, opts)
		}
		return parseHCL(filename, src, opts)
	case FormatHCL:
		return parseHCL(filename, src, opts)
	case FormatJSON:
		return parseJSONWithOptions(filename, src, opts)
	default:
		return nil, fmt.Errorf("unknown job file format %q: use %q or %q", format, FormatHCL, FormatJSON)
	}
}

func parseJSONWithOptions(filename string, src []byte, opts ParseOptions) (*structs.Job, error) {
	if len(opts.Vars) > 0 || len(opts.VarFiles) > 0 {
		return nil, &structs.ValidationError{Problems: []string{
			fmt.Sprintf("%s: -var and -var-file apply only to HCL job files; a JSON job has no variables", filename),
		}}
	}
	return parseJSONJob(filename, src)
}

// looksLikeJSON reports whether the first non-space byte opens a JSON
// object; an HCL file can never start with '{'.
func looksLikeJSON(src []byte) bool {
	trimmed := bytes.TrimLeft(src, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// parseJSONJob accepts both the body of PUT /v1/jobs (`{"job": {...}}`) and
// a bare job object. A Job has no "job" key, so its presence decides. A
// job in Nomad's API form ({"Job": {...}}, nomad_json.go) is read too.
func parseJSONJob(filename string, src []byte) (*structs.Job, error) {
	if IsNomadJSON(src) {
		reg, err := ParseNomadJSON(filename, src)
		if err != nil {
			return nil, err
		}
		return reg.Job, nil
	}
	if !hasTopLevelKey(src, "job") {
		job := &structs.Job{}
		if err := StrictDecodeJSON(filename, src, job); err != nil {
			return nil, err
		}
		return job, nil
	}
	var wrapped struct {
		Job *structs.Job `json:"job"`
	}
	if err := StrictDecodeJSON(filename, src, &wrapped); err != nil {
		return nil, err
	}
	if wrapped.Job == nil {
		return nil, &structs.ValidationError{Problems: []string{
			fmt.Sprintf("%s: \"job\" is null: expected the job object, as in {\"job\": {\"id\": \"web\", ...}}", filename),
		}}
	}
	return wrapped.Job, nil
}

// HasTopLevelKey reports whether src is a JSON object with key among its
// top-level keys (see hasTopLevelKey).
func HasTopLevelKey(src []byte, key string) bool { return hasTopLevelKey(src, key) }

// hasTopLevelKey reports whether src is a JSON object with the given key
// among its top-level keys. It reads tokens only as far as it must, so a
// syntax error later in the file does not hide a leading "job" key (the
// strict decoder then explains that error alone).
func hasTopLevelKey(src []byte, key string) bool {
	dec := json.NewDecoder(bytes.NewReader(src))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if k, ok := tok.(string); ok && k == key {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}
