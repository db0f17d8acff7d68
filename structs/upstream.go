package structs

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/template"
)

// Change modes of an upstream: what happens to the task when the healthy
// instances of the upstream service change.
const (
	UpstreamChangeRestart = "restart"
	UpstreamChangeSignal  = "signal"
	UpstreamChangeNoop    = "noop"
)

// Upstream is a task's `upstream` block: the task learns the addresses of
// the healthy instances of another service registered in Consul, as the
// environment variable APPMESH_UPSTREAM_<SERVICE> ("host:port,host:port")
// and, with a destination, as a file rendered from a template. When the
// instances change the file is rendered again and the task is restarted
// (the environment is only read at start), signalled, or left alone.
//
//	upstream {
//	  service     = "api"
//	  destination = "api.addrs"       # in the task directory
//	  template    = "{{range .}}{{.Address}}:{{.Port}}\n{{end}}"
//	  change_mode = "signal"
//	  change_signal = "SIGHUP"
//	}
type Upstream struct {
	Service      string `json:"service"`
	Tag          string `json:"tag,omitempty"`
	Destination  string `json:"destination,omitempty"`
	Template     string `json:"template,omitempty"`
	ChangeMode   string `json:"change_mode,omitempty"`
	ChangeSignal string `json:"change_signal,omitempty"`
}

// DefaultUpstreamTemplate renders one host:port per line.
const DefaultUpstreamTemplate = "{{range .}}{{.Address}}:{{.Port}}\n{{end}}"

// EnvName is the upstream's environment variable.
func (u *Upstream) EnvName() string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return "APPMESH_UPSTREAM_" + strings.ToUpper(r.Replace(u.Service))
}

// Canonicalize fills in defaults.
func (u *Upstream) Canonicalize() {
	if u.ChangeMode == "" {
		u.ChangeMode = UpstreamChangeRestart
	}
	if u.ChangeMode == UpstreamChangeSignal && u.ChangeSignal == "" {
		u.ChangeSignal = "SIGHUP"
	}
	if u.Destination != "" && u.Template == "" {
		u.Template = DefaultUpstreamTemplate
	}
}

// Validate checks the block.
func (u *Upstream) Validate() error {
	v := &ValidationError{}
	if u.Service == "" {
		v.Add("", "service is required")
	}
	switch u.ChangeMode {
	case "", UpstreamChangeRestart, UpstreamChangeSignal, UpstreamChangeNoop:
	default:
		v.Add("", "change_mode %q is invalid: use restart, signal or noop", u.ChangeMode)
	}
	if d := u.Destination; d != "" && (filepath.IsAbs(d) || strings.HasPrefix(filepath.Clean(d), "..")) {
		v.Add("", "destination %q must be a relative path inside the task directory", d)
	}
	if u.Template != "" {
		if _, err := template.New("upstream").Parse(u.Template); err != nil {
			v.Add("", "template: %v", err)
		}
	}
	return v.ErrorOrNil()
}

// validateUpstreams checks a task's upstreams.
func validateUpstreams(v *ValidationError, ups []*Upstream) {
	for i, u := range ups {
		if u == nil {
			v.Add(fmt.Sprintf("upstream %d", i+1), "empty block")
			continue
		}
		v.Merge(fmt.Sprintf("upstream %d", i+1), u.Validate())
	}
}

// CopyUpstreams copies a list of upstreams.
func CopyUpstreams(in []*Upstream) []*Upstream {
	if in == nil {
		return nil
	}
	out := make([]*Upstream, len(in))
	for i, u := range in {
		c := *u
		out[i] = &c
	}
	return out
}
