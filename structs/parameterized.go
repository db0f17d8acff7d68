package structs

import (
	"fmt"
	"sort"
)

// Payload requirements of a parameterized job.
const (
	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
	DispatchPayloadForbidden = "forbidden"
)

// DispatchPayloadSizeLimit caps a dispatched payload (it is stored in Raft).
const DispatchPayloadSizeLimit = 16 * 1024

// ParameterizedConfig makes a job a template that runs only when
// dispatched: each dispatch is a child "<id>/dispatch-<unix>-<short id>".
type ParameterizedConfig struct {
	// Payload is optional (default), required or forbidden.
	Payload      string   `json:"payload,omitempty"`
	MetaRequired []string `json:"meta_required,omitempty"`
	MetaOptional []string `json:"meta_optional,omitempty"`
	// MaxConcurrent caps the children running at once (0: no cap); the
	// rest wait queued, oldest first.
	MaxConcurrent int `json:"max_concurrent,omitempty"`
}

// Copy returns a deep copy.
func (p *ParameterizedConfig) Copy() *ParameterizedConfig {
	if p == nil {
		return nil
	}
	c := *p
	c.MetaRequired = append([]string(nil), p.MetaRequired...)
	c.MetaOptional = append([]string(nil), p.MetaOptional...)
	return &c
}

// Canonicalize sets the default payload requirement.
func (p *ParameterizedConfig) Canonicalize() {
	if p != nil && p.Payload == "" {
		p.Payload = DispatchPayloadOptional
	}
}

// Validate checks the payload mode and max_concurrent.
func (p *ParameterizedConfig) Validate() error {
	if p == nil {
		return nil
	}
	v := &ValidationError{}
	switch p.Payload {
	case "", DispatchPayloadOptional, DispatchPayloadRequired, DispatchPayloadForbidden:
	default:
		v.Add("", "payload %q is invalid: must be optional, required or forbidden", p.Payload)
	}
	if p.MaxConcurrent < 0 {
		v.Add("", "max_concurrent %d must not be negative", p.MaxConcurrent)
	}
	for _, k := range p.MetaRequired {
		for _, o := range p.MetaOptional {
			if k == o {
				v.Add("", "meta key %q is both required and optional", k)
			}
		}
	}
	return v.ErrorOrNil()
}

// ValidateDispatch checks a dispatch's payload and meta against the block.
func (p *ParameterizedConfig) ValidateDispatch(payload []byte, meta map[string]string) error {
	v := &ValidationError{}
	switch {
	case len(payload) > DispatchPayloadSizeLimit:
		v.Add("", "payload is %d bytes, more than the limit of %d bytes", len(payload), DispatchPayloadSizeLimit)
	case p.Payload == DispatchPayloadRequired && len(payload) == 0:
		v.Add("", "payload is required by the job but none was given")
	case p.Payload == DispatchPayloadForbidden && len(payload) > 0:
		v.Add("", "payload is forbidden by the job but %d bytes were given", len(payload))
	}
	allowed := map[string]bool{}
	for _, k := range p.MetaRequired {
		allowed[k] = true
		if _, ok := meta[k]; !ok {
			v.Add("", "meta key %q is required but missing", k)
		}
	}
	for _, k := range p.MetaOptional {
		allowed[k] = true
	}
	var extra []string
	for k := range meta {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		v.Add("", "meta key %q is not allowed: the job allows %v (required) and %v (optional)",
			k, p.MetaRequired, p.MetaOptional)
	}
	return v.ErrorOrNil()
}

// DispatchChildID names a dispatched child.
func DispatchChildID(parent string, unix int64, id string) string {
	return fmt.Sprintf("%s/dispatch-%d-%s", parent, unix, ShortID(id))
}

// JobDispatchRequest dispatches a parameterized job.
type JobDispatchRequest struct {
	JobID   string            `json:"job_id"`
	Meta    map[string]string `json:"meta,omitempty"`
	Payload []byte            `json:"payload,omitempty"`
	// IdempotencyToken makes a retried dispatch return the child the
	// first one made instead of making another (dispatch_idempotency.go).
	IdempotencyToken string `json:"idempotency_token,omitempty"`
	WriteRequest
}

// JobDispatchResponse names the child job created.
type JobDispatchResponse struct {
	DispatchedJobID string `json:"dispatched_job_id"`
	// Queued is true when the child waits for a max_concurrent slot.
	Queued         bool   `json:"queued"`
	JobCreateIndex uint64 `json:"job_create_index"`
	// Existing is true when the idempotency token named a child made by
	// an earlier dispatch, which is returned instead of a new one.
	Existing bool `json:"existing,omitempty"`
	WriteMeta
}
