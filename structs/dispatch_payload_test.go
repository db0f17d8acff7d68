package structs

import (
	"strings"
	"testing"
)

func TestDispatchPayloadValidate(t *testing.T) {
	for file, want := range map[string]string{
		"input.json":  "",
		"conf/in.txt": "",
		"a/../b.txt":  "",
		"":            "file is required",
		"/etc/passwd": "must be a path relative",
		"../x":        "leaves the task's local/ directory",
		"a/../../x":   "leaves the task's local/ directory",
		"dir/":        "names a directory",
		".":           "names a directory",
	} {
		err := (&DispatchPayloadConfig{File: file}).Validate()
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("file %q: err %v, want %q", file, err, want)
		}
	}
	if f := (&Task{}).PayloadFile(); f != "payload" {
		t.Errorf("default payload file %q", f)
	}
	if f := (&Task{DispatchPayload: &DispatchPayloadConfig{File: "a/./b"}}).PayloadFile(); f != "a/b" {
		t.Errorf("payload file %q", f)
	}
}
