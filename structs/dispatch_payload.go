package structs

import (
	"path"
	"strings"
)

// DefaultPayloadFile is where a dispatched job's payload appears, relative
// to the task's local/ directory, for a task without dispatch_payload.
const DefaultPayloadFile = "payload"

// DispatchPayloadConfig is a task's `dispatch_payload { file }` block, as
// in Nomad: the dispatched payload is written to local/<file>.
type DispatchPayloadConfig struct {
	File string `json:"file"`
}

// PayloadFile is the payload's path relative to the task's local/
// directory: the block's file, or DefaultPayloadFile.
func (t *Task) PayloadFile() string {
	if t.DispatchPayload != nil && t.DispatchPayload.File != "" {
		return path.Clean(t.DispatchPayload.File)
	}
	return DefaultPayloadFile
}

// Validate checks that the file stays inside local/: a relative path
// without "..", so a job cannot make the client write elsewhere.
func (d *DispatchPayloadConfig) Validate() error {
	if d == nil {
		return nil
	}
	v := &ValidationError{}
	switch f := d.File; {
	case f == "":
		v.Add("", "file is required: the payload's file name under the task's local/ directory")
	case strings.HasPrefix(f, "/") || strings.ContainsRune(f, 0):
		v.Add("", "file %q must be a path relative to the task's local/ directory", f)
	case path.Clean(f) == "." || strings.HasSuffix(f, "/"):
		v.Add("", "file %q names a directory, not a file", f)
	default:
		for _, part := range strings.Split(path.Clean(f), "/") {
			if part == ".." {
				v.Add("", "file %q leaves the task's local/ directory", f)
				break
			}
		}
	}
	return v.ErrorOrNil()
}
