package structs

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Template change modes: what the client does when a rendered template's
// content changes while the task runs.
const (
	TemplateChangeRestart = "restart" // restart the task (default)
	TemplateChangeSignal  = "signal"  // send change_signal
	TemplateChangeScript  = "script"  // run change_script inside the task
	TemplateChangeNoop    = "noop"    // only rewrite the file
)

// Template defaults, as in Nomad.
const (
	DefaultTemplateSplay          = 5 * time.Second
	DefaultTemplatePerms          = "0644"
	DefaultChangeScriptTimeout    = 5 * time.Second
	TaskEventTemplateFailure      = "Template Failure"
	TaskEventTemplateRendered     = "Template Rendered"
	TaskEventTemplateChangeFailed = "Template Change Failed"
)

// Template is a task's `template` block: a Go text/template rendered by the
// client into the task's directory before the task starts, and again when
// what it reads (Consul keys and services) changes.
type Template struct {
	// Data is the template text; Source names a file in the task's
	// directory (an artifact, typically) holding it. Exactly one is set.
	Data   string `json:"data,omitempty"`
	Source string `json:"source,omitempty"`
	// Destination is the rendered file's path relative to the task's
	// directory; it may not leave it.
	Destination string `json:"destination"`
	// Env reads the rendered file as KEY=VALUE lines into the task's
	// environment.
	Env          bool          `json:"env,omitempty"`
	ChangeMode   string        `json:"change_mode,omitempty"`
	ChangeSignal string        `json:"change_signal,omitempty"`
	ChangeScript *ChangeScript `json:"change_script,omitempty" hcl:"change_script,block"`
	// Splay bounds the random wait before the change mode is applied, so
	// that many tasks do not restart at once; nil is 5s.
	Splay *Duration `json:"splay,omitempty"`
	// Perms is the file mode in octal ("0644").
	Perms string `json:"perms,omitempty"`
	// UID and GID own the file when set (the client must run as root).
	UID *int `json:"uid,omitempty"`
	GID *int `json:"gid,omitempty"`
	// LeftDelim and RightDelim replace "{{" and "}}".
	LeftDelim  string `json:"left_delimiter,omitempty"`
	RightDelim string `json:"right_delimiter,omitempty"`
	// ErrMissingKey fails the render on a missing map key or Consul key
	// instead of rendering an empty value.
	ErrMissingKey bool `json:"error_on_missing_key,omitempty"`
	// Wait lets a changing value settle before the change is applied.
	Wait *TemplateWait `json:"wait,omitempty" hcl:"wait,block"`
	// Once renders the template only before the first start and never
	// watches it.
	Once bool `json:"once,omitempty"`
}

// ChangeScript is the command change_mode = "script" runs in the task.
type ChangeScript struct {
	Command     string   `json:"command"`
	Args        []string `json:"args,omitempty"`
	Timeout     Duration `json:"timeout,omitempty"`
	FailOnError bool     `json:"fail_on_error,omitempty"`
}

// TemplateWait is `wait { min max }`: after a change the client waits min
// for the output to hold still, but applies it at the latest after max.
type TemplateWait struct {
	Min Duration `json:"min,omitempty"`
	Max Duration `json:"max,omitempty"`
}

// ChangeModeOrDefault is the change mode, "restart" when unset.
func (t *Template) ChangeModeOrDefault() string {
	if t.ChangeMode == "" {
		return TemplateChangeRestart
	}
	return t.ChangeMode
}

// SplayOrDefault is the splay, 5s when unset.
func (t *Template) SplayOrDefault() time.Duration {
	if t.Splay == nil {
		return DefaultTemplateSplay
	}
	return t.Splay.Std()
}

// FileMode parses Perms (default 0644).
func (t *Template) FileMode() (uint32, error) {
	p := t.Perms
	if p == "" {
		p = DefaultTemplatePerms
	}
	m, err := strconv.ParseUint(p, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("perms %q must be an octal file mode such as \"0644\"", t.Perms)
	}
	return uint32(m), nil
}

// ScriptTimeout is the change script's timeout, 5s when unset.
func (s *ChangeScript) ScriptTimeout() time.Duration {
	if s == nil || s.Timeout <= 0 {
		return DefaultChangeScriptTimeout
	}
	return s.Timeout.Std()
}

// Validate checks the template; problems are relative to it.
func (t *Template) Validate() error {
	v := &ValidationError{}
	switch {
	case t.Data == "" && t.Source == "":
		v.Add("", "data or source is required")
	case t.Data != "" && t.Source != "":
		v.Add("", "data and source are both set: use one of them")
	}
	if t.Source != "" {
		if err := TaskRelativePath(t.Source); err != nil {
			v.Add("", "source %v", err)
		}
	}
	if t.Destination == "" {
		v.Add("", "destination is required")
	} else if err := TaskRelativePath(t.Destination); err != nil {
		v.Add("", "destination %v", err)
	}
	t.validateChange(v)
	if t.Splay != nil && *t.Splay < 0 {
		v.Add("", "splay must not be negative")
	}
	if _, err := t.FileMode(); err != nil {
		v.Add("", "%v", err)
	}
	if t.UID != nil && *t.UID < 0 {
		v.Add("", "uid must not be negative")
	}
	if t.GID != nil && *t.GID < 0 {
		v.Add("", "gid must not be negative")
	}
	if (t.LeftDelim == "") != (t.RightDelim == "") {
		v.Add("", "left_delimiter and right_delimiter must be set together")
	}
	if w := t.Wait; w != nil {
		if w.Min < 0 || w.Max < 0 {
			v.Add("wait", "min and max must not be negative")
		}
		if w.Max > 0 && w.Min > w.Max {
			v.Add("wait", "min (%s) is greater than max (%s)", w.Min.Std(), w.Max.Std())
		}
	}
	return v.ErrorOrNil()
}

func (t *Template) validateChange(v *ValidationError) {
	switch t.ChangeModeOrDefault() {
	case TemplateChangeRestart, TemplateChangeNoop:
	case TemplateChangeSignal:
		if t.ChangeSignal == "" {
			v.Add("", "change_mode = \"signal\" needs change_signal (such as \"SIGHUP\")")
		}
	case TemplateChangeScript:
		if t.ChangeScript == nil || strings.TrimSpace(t.ChangeScript.Command) == "" {
			v.Add("", "change_mode = \"script\" needs change_script { command = \"...\" }")
		}
	default:
		v.Add("", "change_mode %q is invalid: use restart, signal, script or noop", t.ChangeMode)
	}
	if t.ChangeSignal != "" && t.ChangeModeOrDefault() != TemplateChangeSignal {
		v.Add("", "change_signal is set but change_mode is %q, not \"signal\"", t.ChangeModeOrDefault())
	}
	if t.ChangeScript != nil {
		if t.ChangeModeOrDefault() != TemplateChangeScript {
			v.Add("", "change_script is set but change_mode is %q, not \"script\"", t.ChangeModeOrDefault())
		}
		if t.ChangeScript.Timeout < 0 {
			v.Add("change_script", "timeout must not be negative")
		}
	}
}

// TaskRelativePath checks that p is relative and stays inside the task's
// directory; the error reads after the field's name ("destination ...").
func TaskRelativePath(p string) error {
	if filepath.IsAbs(p) {
		return fmt.Errorf("%q must be relative to the task's directory (such as local/app.conf)", p)
	}
	c := filepath.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("%q leaves the task's directory", p)
	}
	if c == "." {
		return fmt.Errorf("%q names the task's directory itself, not a file", p)
	}
	return nil
}

// Copy returns a deep copy; nil stays nil.
func (t *Template) Copy() *Template {
	if t == nil {
		return nil
	}
	c := *t
	if t.ChangeScript != nil {
		s := *t.ChangeScript
		s.Args = append([]string(nil), t.ChangeScript.Args...)
		c.ChangeScript = &s
	}
	if t.Splay != nil {
		s := *t.Splay
		c.Splay = &s
	}
	if t.UID != nil {
		u := *t.UID
		c.UID = &u
	}
	if t.GID != nil {
		g := *t.GID
		c.GID = &g
	}
	if t.Wait != nil {
		w := *t.Wait
		c.Wait = &w
	}
	return &c
}

// validateTemplates adds each template's problems as template[i], and
// refuses two templates writing the same file.
func validateTemplates(v *ValidationError, tmpls []*Template) {
	seen := map[string]int{}
	for i, t := range tmpls {
		field := fmt.Sprintf("template[%d]", i)
		if t == nil {
			v.Add(field, "is empty")
			continue
		}
		v.Merge(field, t.Validate())
		if t.Destination == "" {
			continue
		}
		dest := filepath.Clean(t.Destination)
		if j, dup := seen[dest]; dup {
			v.Add(field, "destination %q is also written by template[%d]", t.Destination, j)
			continue
		}
		seen[dest] = i
	}
}

// copyTemplates deep-copies a task's templates.
func copyTemplates(tmpls []*Template) []*Template {
	if tmpls == nil {
		return nil
	}
	out := make([]*Template, len(tmpls))
	for i, t := range tmpls {
		out[i] = t.Copy()
	}
	return out
}
