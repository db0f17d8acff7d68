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
}
