// Package stream is the servers' event stream: the FSM's committed writes
// turned into events (Job, Allocation, Evaluation, Node, Rollout, ACL),
// kept in a bounded ring buffer by Raft index, and read by subscribers
// that each follow their own cursor.
//
// Publishing never waits for a subscriber: it appends a batch to the ring
// and wakes the waiting readers, so a hundred slow subscribers cost a plan
// nothing. A subscriber that falls further behind than the ring holds is
// told so (ErrLost) instead of silently missing events.
package stream

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Topics.
const (
	TopicJob        = "Job"
	TopicAllocation = "Allocation"
	TopicEvaluation = "Evaluation"
	TopicNode       = "Node"
	TopicRollout    = "Rollout"
	TopicACL        = "ACL"
	// TopicService: instances of the built-in service catalog, keyed by
	// service name (also matched by instance ID and job ID).
	TopicService = "Service"
	// TopicAll matches every topic.
	TopicAll = "*"
)

// Topics lists the topics a subscriber may name.
var Topics = []string{TopicJob, TopicAllocation, TopicEvaluation, TopicNode, TopicRollout, TopicACL, TopicService}

// Form says how much of its object an event carries.
type Form int

const (
	// Summary carries a short form of the objects that have one (an
	// allocation's IDs, statuses and task states, see summary.go) and the
	// whole object otherwise. It is the default: an allocation is written
	// twice per placement, and every subscriber gets every write.
	Summary Form = iota
	// Full carries every object whole (?full=true).
	Full
	forms
)

// Event is one object's change at one Raft index.
type Event struct {
	Topic string `json:"topic"`
	// Type says what happened: JobRegistered, AllocationUpdated, ...
	Type string `json:"type"`
	// Key is the object's ID (a policy's or role's name for ACL events).
	Key string `json:"key"`
	// Namespace is the object's namespace; "" for nodes and ACL objects.
	Namespace string `json:"namespace,omitempty"`
	Index     uint64 `json:"index"`
	// Payload is the object as stored (read-only: the state store never
	// changes a stored object), with secrets removed. It is encoded when
	// the first subscriber sends it, not on the FSM's apply path.
	Payload any `json:"-"`
	// FilterKeys are other keys a "Topic:key" subscription matches: the
	// job ID of an allocation or evaluation, the name of a node.
	FilterKeys []string `json:"-"`

	enc [forms]encoded
}

// encoded is bytes built once, by the first subscriber that needs them.
type encoded struct {
	once sync.Once
	raw  []byte
	err  error
}

func (c *encoded) get(build func() ([]byte, error)) ([]byte, error) {
	c.once.Do(func() { c.raw, c.err = build() })
	return c.raw, c.err
}

// MarshalJSON encodes the event in its summary form.
func (e *Event) MarshalJSON() ([]byte, error) { return e.Encode(Summary) }

// Encode encodes the event in one form, once however many subscribers
// send it.
func (e *Event) Encode(form Form) ([]byte, error) {
	if form != Full || !hasSummary(e.Payload) {
		form = Summary // one encoding serves both forms
	}
	return e.enc[form].get(func() ([]byte, error) { return e.encode(form) })
}

// encode builds the event's JSON: the envelope by hand, an allocation's
// summary by hand (appendAllocSummary), other payloads by encoding/json.
func (e *Event) encode(form Form) ([]byte, error) {
	b := make([]byte, 0, 512)
	b = append(b, `{"topic":`...)
	b = appendString(b, e.Topic)
	b = appendField(b, "type", e.Type)
	b = appendField(b, "key", e.Key)
	b = appendOptional(b, "namespace", e.Namespace)
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, e.Index, 10)
	b = append(b, `,"payload":`...)
	if a, ok := e.Payload.(*structs.Allocation); ok && form == Summary {
		b = appendAllocSummary(b, a)
	} else {
		payload, err := json.Marshal(e.Payload)
		if err != nil {
			return nil, err
		}
		b = append(b, payload...)
	}
	return append(b, '}'), nil
}

// MatchesKey reports whether key names the event's object or one of its
// filter keys.
func (e *Event) MatchesKey(key string) bool {
	if key == "" || key == "*" || key == e.Key {
		return true
	}
	for _, k := range e.FilterKeys {
		if k == key {
			return true
		}
	}
	return false
}

// Batch is the events of one Raft index, in the order the write made them.
type Batch struct {
	Index  uint64   `json:"index"`
	Events []*Event `json:"events"`
	// whole is the buffered batch this one is all of (nil when a filter
	// left events out): its line is encoded once for every subscriber.
	whole *entry
	// frame, when set, makes this the batches of a whole frame
	// (NextUpTo): Index is its last, Events is empty.
	frame *frame
}

// entry is one buffered batch with its encoded lines, one per form.
type entry struct {
	index  uint64
	events []*Event
	// at is when it was published (Broker.Now), and frame the batches
	// published in the same slot (frame.go).
	at    time.Duration
	frame *frame
	lines [forms]encoded
	// chunks are the lines compressed (gzip.go), for subscribers that
	// accept gzip.
	chunks [forms]sharedChunk
}

// sharedChunk is a compressed line built once, by the first subscriber
// that needs it.
type sharedChunk struct {
	once  sync.Once
	chunk *Chunk
	err   error
}

// Line is the batch as one line of the stream, {"index":N,"events":[...]}
// and a newline. A batch a subscriber gets whole is encoded once for all
// subscribers that ask for the same form; a filtered one is the events'
// shared encodings joined.
func (b Batch) Line(form Form) ([]byte, error) {
	if form < 0 || form >= forms {
		form = Summary
	}
	if b.frame != nil {
		return b.frame.line(form)
	}
	if b.whole != nil {
		return b.whole.lines[form].get(func() ([]byte, error) { return encodeLine(b.Index, b.Events, form) })
	}
	return encodeLine(b.Index, b.Events, form)
}

// Chunk is the batch's line and its compressed form (gzip.go), built once
// for all subscribers that get the batch whole.
func (b Batch) Chunk(form Form) (*Chunk, error) {
	if form < 0 || form >= forms {
		form = Summary
	}
	if b.frame != nil {
		return b.frame.chunk(form)
	}
	plain, err := b.Line(form)
	if err != nil {
		return nil, err
	}
	if b.whole == nil {
		return NewChunk(plain)
	}
	c := &b.whole.chunks[form]
	c.once.Do(func() { c.chunk, c.err = NewChunk(plain) })
	return c.chunk, c.err
}

func encodeLine(index uint64, events []*Event, form Form) ([]byte, error) {
	raws := make([][]byte, len(events))
	size := 64
	for i, e := range events {
		raw, err := e.Encode(form)
		if err != nil {
			return nil, fmt.Errorf("encode event %s %s at index %d: %w", e.Topic, e.Key, index, err)
		}
		raws[i] = raw
		size += len(raw) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, `{"index":`...)
	out = strconv.AppendUint(out, index, 10)
	out = append(out, `,"events":[`...)
	for i, raw := range raws {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, raw...)
	}
	return append(out, "]}\n"...), nil
}
