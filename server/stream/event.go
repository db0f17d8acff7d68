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
)

// Topics.
const (
	TopicJob        = "Job"
	TopicAllocation = "Allocation"
	TopicEvaluation = "Evaluation"
	TopicNode       = "Node"
	TopicRollout    = "Rollout"
	TopicACL        = "ACL"
	// TopicAll matches every topic.
	TopicAll = "*"
)

// Topics lists the topics a subscriber may name.
var Topics = []string{TopicJob, TopicAllocation, TopicEvaluation, TopicNode, TopicRollout, TopicACL}

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
	// Payload is the object as stored (read-only), with secrets removed.
	Payload any `json:"-"`
	// FilterKeys are other keys a "Topic:key" subscription matches: the
	// job ID of an allocation or evaluation, the name of a node.
	FilterKeys []string `json:"-"`

	once sync.Once
	raw  json.RawMessage
	err  error
}

// MarshalJSON encodes the event once, however many subscribers send it.
func (e *Event) MarshalJSON() ([]byte, error) {
	e.once.Do(func() {
		payload, err := json.Marshal(e.Payload)
		if err != nil {
			e.err = err
			return
		}
		type plain struct {
			Topic     string          `json:"topic"`
			Type      string          `json:"type"`
			Key       string          `json:"key"`
			Namespace string          `json:"namespace,omitempty"`
			Index     uint64          `json:"index"`
			Payload   json.RawMessage `json:"payload"`
		}
		e.raw, e.err = json.Marshal(plain{e.Topic, e.Type, e.Key, e.Namespace, e.Index, payload})
	})
	return e.raw, e.err
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
}

// entry is one buffered batch with its encoded line.
type entry struct {
	index  uint64
	events []*Event
	once   sync.Once
	line   []byte
	err    error
}

// Line is the batch as one line of the stream, {"index":N,"events":[...]}
// and a newline. A batch a subscriber gets whole is encoded once for all.
func (b Batch) Line() ([]byte, error) {
	if b.whole != nil {
		b.whole.once.Do(func() { b.whole.line, b.whole.err = encodeLine(b.Index, b.Events) })
		return b.whole.line, b.whole.err
	}
	return encodeLine(b.Index, b.Events)
}

func encodeLine(index uint64, events []*Event) ([]byte, error) {
	out := make([]byte, 0, 256*len(events))
	out = append(out, `{"index":`...)
	out = strconv.AppendUint(out, index, 10)
	out = append(out, `,"events":[`...)
	for i, e := range events {
		raw, err := e.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("encode event %s %s at index %d: %w", e.Topic, e.Key, index, err)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, raw...)
	}
	return append(out, "]}\n"...), nil
}
