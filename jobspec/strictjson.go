package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

const (
	// maxJSONProblems bounds the report: after that many, the user has
	// enough to fix and the rest is usually noise caused by the same mistake.
	maxJSONProblems = 10
	// maxJSONDepth bounds recursion on hostile request bodies.
	maxJSONDepth = 200
)

// errStopWalk ends the walk early: a syntax error, or too many problems.
var errStopWalk = errors.New("stop")

// StrictDecodeJSON decodes data into v (a non-nil pointer) like
// encoding/json, but first checks every object key and value type against
// the Go type of v. Unknown keys, keys in the wrong case ("Count" for
// "count"), repeated keys and wrong value types are reported with their
// position and path, for example:
//
//	web.json:3:12: groups[0].count: expected a number, got string
//
// The error is a *structs.ValidationError listing the first problems found.
func StrictDecodeJSON(name string, data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jobspec: StrictDecodeJSON needs a non-nil pointer, got %T", v)
	}
	w := &jsonWalker{name: name, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	w.document(rv.Type().Elem())
	if len(w.problems) > 0 {
		return &structs.ValidationError{Problems: w.problems}
	}
	if err := json.Unmarshal(data, v); err != nil {
		// The walk accepts everything encoding/json accepts, so this is
		// rare; keep the position when encoding/json gives one.
		return &structs.ValidationError{Problems: []string{w.decodeErrorMessage(err)}}
	}
	return nil
}

// jsonWalker reads the document token by token next to the Go type that
// will receive it.
type jsonWalker struct {
	name     string
	data     []byte
	dec      *json.Decoder
	problems []string
	depth    int
}

func (w *jsonWalker) document(t reflect.Type) {
	if len(bytes.TrimSpace(w.data)) == 0 {
		w.problemAt(0, "", "the input is empty: expected a JSON object")
		return
	}
	if err := w.value(t, "", false); err != nil {
		return
	}
	off := int(w.dec.InputOffset())
	if _, err := w.dec.Token(); err != io.EOF {
		w.problemAt(skipSeparators(w.data, off), "", "unexpected data after the end of the JSON value")
	}
}

// problemAt records a problem; it returns errStopWalk once there are enough.
func (w *jsonWalker) problemAt(off int, path, format string, args ...any) error {
	line, col := lineCol(w.data, off)
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	prefix := fmt.Sprintf("%d:%d", line, col)
	if w.name != "" {
		prefix = w.name + ":" + prefix
	}
	w.problems = append(w.problems, prefix+": "+msg)
	if len(w.problems) >= maxJSONProblems {
		w.problems = append(w.problems, "(stopped after the first problems; fix these and try again)")
		return errStopWalk
	}
	return nil
}

// next reads a token and returns the offset where it starts.
func (w *jsonWalker) next() (json.Token, int, error) {
	off := int(w.dec.InputOffset())
	tok, err := w.dec.Token()
	if err != nil {
		return nil, off, w.syntaxError(err, off)
	}
	return tok, skipSeparators(w.data, off), nil
}

func (w *jsonWalker) syntaxError(err error, off int) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		w.problemAt(syntaxErrorOffset(w.data, se), "", "invalid JSON: %s", se.Error())
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		w.problemAt(len(w.data), "", "invalid JSON: unexpected end of input (a closing '}' or ']' may be missing)")
	default:
		w.problemAt(off, "", "invalid JSON: %v", err)
	}
	return errStopWalk
}

// syntaxErrorOffset finds the offending byte. json.Decoder.Token sets
// Offset to the bad byte itself for a misplaced delimiter, but to the end of
// the previous token when a value cannot start; skip to the value then.
func syntaxErrorOffset(data []byte, se *json.SyntaxError) int {
	off := int(se.Offset)
	skipSpace := func() {
		for off < len(data) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
			off++
		}
	}
	skipSpace()
	if off < len(data) && (data[off] == ':' || data[off] == ',') && strings.Contains(se.Error(), "beginning of value") {
		off++
		skipSpace()
	}
	return off
}

// value reads one value that will be decoded into t.
func (w *jsonWalker) value(t reflect.Type, path string, asString bool) error {
	tok, start, err := w.next()
	if err != nil {
		return err
	}
	return w.check(t, path, asString, tok, start)
}

// check validates the value that starts with tok against t, reading the
// rest of it when it is an object or array.
func (w *jsonWalker) check(t reflect.Type, path string, asString bool, tok json.Token, start int) error {
	for t.Kind() == reflect.Pointer {
		if tok == nil {
			return nil // null sets the pointer to nil
		}
		t = t.Elem()
	}
	if handled, err := w.checkCustom(t, path, tok, start); handled {
		return err
	}
	if tok == nil {
		return nil // encoding/json leaves non-pointer values untouched on null
	}
	if asString {
		return w.expect(tok, start, path, isString(tok), "a string holding the value")
	}
	switch t.Kind() {
	case reflect.Interface:
		return w.skipRest(tok)
	case reflect.Struct:
		if !isDelim(tok, '{') {
			return w.mismatch(tok, start, path, "an object")
		}
		return w.object(t, path)
	case reflect.Map:
		if !isDelim(tok, '{') {
			return w.mismatch(tok, start, path, "an object")
		}
		return w.mapObject(t, path)
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return w.expect(tok, start, path, isString(tok), "a base64 string")
		}
		if !isDelim(tok, '[') {
			return w.mismatch(tok, start, path, "an array")
		}
		return w.array(t.Elem(), path)
	case reflect.String:
		return w.expect(tok, start, path, isString(tok), "a string")
	case reflect.Bool:
		_, ok := tok.(bool)
		return w.expect(tok, start, path, ok, "true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return w.number(t, path, tok, start)
	default:
		return w.skipRest(tok) // channels, funcs: encoding/json rejects them itself
	}
}

// checkCustom handles types that decode themselves. A struct with its own
// UnmarshalJSON but ordinary JSON fields (structs.TaskGroup, which only adds
// a default) is still checked key by key; any other custom type (e.g.
// structs.Duration) is handed its raw value here, so that its error comes
// with a position.
func (w *jsonWalker) checkCustom(t reflect.Type, path string, tok json.Token, start int) (bool, error) {
	if u, ok := customUnmarshaler(t); ok {
		if t.Kind() == reflect.Struct && len(jsonFieldsOf(t)) > 0 {
			return false, nil
		}
		if err := w.skipRest(tok); err != nil {
			return true, err
		}
		raw := w.data[start:w.dec.InputOffset()]
		if err := u.UnmarshalJSON(raw); err != nil {
			return true, w.problemAt(start, path, "%s", err)
		}
		return true, nil
	}
	if u, ok := textUnmarshaler(t); ok && tok != nil {
		s, isStr := tok.(string)
		if !isStr {
			return true, w.mismatch(tok, start, path, "a string")
		}
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return true, w.problemAt(start, path, "%s", err)
		}
		return true, nil
	}
	return false, nil
}

func (w *jsonWalker) object(t reflect.Type, path string) error {
	if err := w.enter(path); err != nil {
		return err
	}
	defer w.leave()
	fields := jsonFieldsOf(t)
	seen := map[string]bool{}
	for {
		tok, keyStart, err := w.next()
		if err != nil {
			return err
		}
		if isDelim(tok, '}') {
			return nil
		}
		key, _ := tok.(string)
		f, known := fields[key]
		switch {
		case !known && nomadOnlyDetail(key, blockTypeOf(t)) != "":
			err = w.problemAt(keyStart, joinPath(path, key), "%s", nomadOnlyDetail(key, blockTypeOf(t)))
		case !known:
			err = w.problemAt(keyStart, path, "%s", unknownFieldMessage(key, fields))
		case seen[key]:
			err = w.problemAt(keyStart, path, "field %q appears more than once", key)
		default:
			seen[key] = true
			err = w.value(f.typ, joinPath(path, key), f.asString)
			if err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := w.skipValue(); err != nil {
			return err
		}
	}
}

// unknownFieldMessage names the key and, when it only differs in case or
// spelling from a real one, the key that was probably meant.
func unknownFieldMessage(key string, fields map[string]jsonField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("unknown field %q (did you mean %q? field names are case-sensitive)", key, name)
		}
		names = append(names, name)
	}
	if s := suggestName(key, names); s != "" {
		return fmt.Sprintf("unknown field %q (did you mean %q?)", key, s)
	}
	return fmt.Sprintf("unknown field %q", key)
}

func (w *jsonWalker) mapObject(t reflect.Type, path string) error {
	if err := w.enter(path); err != nil {
		return err
	}
	defer w.leave()
	seen := map[string]bool{}
	for {
		tok, keyStart, err := w.next()
		if err != nil {
			return err
		}
		if isDelim(tok, '}') {
			return nil
		}
		key, _ := tok.(string)
		if seen[key] {
			if err := w.problemAt(keyStart, path, "key %q appears more than once", key); err != nil {
				return err
			}
		}
		seen[key] = true
		if err := w.value(t.Elem(), joinPath(path, key), false); err != nil {
			return err
		}
	}
}

func (w *jsonWalker) array(elem reflect.Type, path string) error {
	if err := w.enter(path); err != nil {
		return err
	}
	defer w.leave()
	for i := 0; ; i++ {
		tok, start, err := w.next()
		if err != nil {
			return err
		}
		if isDelim(tok, ']') {
			return nil
		}
		if err := w.check(elem, fmt.Sprintf("%s[%d]", path, i), false, tok, start); err != nil {
			return err
		}
	}
}

func (w *jsonWalker) enter(path string) error {
	w.depth++
	if w.depth > maxJSONDepth {
		w.problemAt(int(w.dec.InputOffset()), path, "nested more than %d levels deep", maxJSONDepth)
		return errStopWalk
	}
	return nil
}

func (w *jsonWalker) leave() { w.depth-- }

func (w *jsonWalker) number(t reflect.Type, path string, tok json.Token, start int) error {
	n, ok := tok.(json.Number)
	if !ok {
		return w.mismatch(tok, start, path, "a number")
	}
	var err error
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(string(n), t.Bits())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(string(n), 10, t.Bits())
	default:
		_, err = strconv.ParseUint(string(n), 10, t.Bits())
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return w.problemAt(start, path, "number %s is out of range", n)
	}
	if strings.HasPrefix(string(n), "-") {
		return w.problemAt(start, path, "expected a whole number that is not negative, got %s", n)
	}
	return w.problemAt(start, path, "expected a whole number, got %s", n)
}

// expect records a mismatch unless ok.
func (w *jsonWalker) expect(tok json.Token, start int, path string, ok bool, want string) error {
	if ok {
		return nil
	}
	return w.mismatch(tok, start, path, want)
}

// mismatch reports a value of the wrong JSON type and skips it.
func (w *jsonWalker) mismatch(tok json.Token, start int, path, want string) error {
	if err := w.problemAt(start, path, "expected %s, got %s", want, tokenKind(tok)); err != nil {
		return err
	}
	return w.skipRest(tok)
}

// skipValue reads and discards one whole value.
func (w *jsonWalker) skipValue() error {
	tok, _, err := w.next()
	if err != nil {
		return err
	}
	return w.skipRest(tok)
}

// skipRest discards the rest of a value whose first token is tok. It loops
// instead of recursing, so free-form values of any depth are cheap.
func (w *jsonWalker) skipRest(tok json.Token) error {
	if !isDelim(tok, '{') && !isDelim(tok, '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, _, err := w.next()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

func (w *jsonWalker) decodeErrorMessage(err error) string {
	prefix := w.name
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := lineCol(w.data, int(te.Offset))
		prefix = fmt.Sprintf("%s:%d:%d", w.name, line, col)
	}
	if prefix == "" {
		return err.Error()
	}
	return prefix + ": " + err.Error()
}

func isDelim(tok json.Token, d json.Delim) bool {
	got, ok := tok.(json.Delim)
	return ok && got == d
}

func isString(tok json.Token) bool {
	_, ok := tok.(string)
	return ok
}

// tokenKind names the JSON type of a value by its first token.
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case json.Delim:
		if v == '{' {
			return "object"
		}
		return "array"
	}
	return fmt.Sprintf("%T", tok)
}
