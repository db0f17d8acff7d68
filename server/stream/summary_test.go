package stream

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestAllocEventForms: an allocation event carries its summary by default
// (IDs, statuses, task states; no metrics, resources or task event
// history) and the whole allocation in the Full form; other objects are
// the same in both forms, encoded once.
func TestAllocEventForms(t *testing.T) {
	code := 3
	a := &structs.Allocation{ID: "a1", Namespace: "default", JobID: "web", TaskGroup: "g", NodeID: "n1",
		NodeName: "node-1", DesiredStatus: "run", ClientStatus: "failed", ModifyIndex: 9, CreateIndex: 8,
		Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
		Metrics:   &structs.AllocMetric{NodesEvaluated: 500},
		TaskStates: map[string]*structs.TaskState{"t": {State: "dead", Failed: true, Restarts: 2, ExitCode: &code,
			Events: []*structs.TaskEvent{{Type: "Terminated", Message: "exit 3"}}}}}
	e := &Event{Topic: TopicAllocation, Type: "AllocationUpdated", Key: a.ID, Namespace: a.Namespace, Index: 9, Payload: a}

	short, err := e.Encode(Summary)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(short, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"id": "a1", "job_id": "web", "group": "g", "node_id": "n1", "node_name": "node-1",
		"desired_status": "run", "client_status": "failed", "modify_index": float64(9)} {
		if got.Payload[k] != want {
			t.Errorf("summary %s = %v, want %v (%s)", k, got.Payload[k], want, short)
		}
	}
	for _, k := range []string{"metrics", "resources", "task_resources"} {
		if _, ok := got.Payload[k]; ok {
			t.Errorf("summary carries %s: %s", k, short)
		}
	}
	if !strings.Contains(string(short), `"t":{"state":"dead","failed":true,"restarts":2,"exit_code":3}`) ||
		strings.Contains(string(short), "Terminated") {
		t.Errorf("summary task states: %s", short)
	}

	full, err := e.Encode(Full)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(full), `"nodes_evaluated":500`) || !strings.Contains(string(full), `"Terminated"`) {
		t.Errorf("full form lacks the metrics or task events: %s", full)
	}
	if again, _ := e.Encode(Summary); &again[0] != &short[0] {
		t.Error("the summary was encoded twice")
	}

	job := &Event{Topic: TopicJob, Type: "JobRegistered", Key: "web", Index: 9, Payload: &structs.Job{ID: "web"}}
	s1, _ := job.Encode(Summary)
	f1, _ := job.Encode(Full)
	if &s1[0] != &f1[0] {
		t.Error("a job event was encoded once per form; it has only one")
	}

	// A whole batch's line is shared per form; the forms differ.
	b := NewBroker(0)
	b.Publish(9, []*Event{e})
	sub, _ := b.Subscribe(8, nil)
	batch, _, _ := sub.Next(t.Context(), false)
	l1, _ := batch.Line(Summary)
	l2, _ := batch.Line(Summary)
	lf, _ := batch.Line(Full)
	if &l1[0] != &l2[0] || len(lf) <= len(l1) {
		t.Errorf("batch lines: summary shared %v, full %d bytes vs summary %d", &l1[0] == &l2[0], len(lf), len(l1))
	}
}

// TestAllocSummaryEncoding: the hand-written encoding of a summary and of
// the envelope is byte for byte what encoding/json writes, escaping
// included.
func TestAllocSummaryEncoding(t *testing.T) {
	yes, code := true, -1
	for _, a := range []*structs.Allocation{
		{ID: "plain", Namespace: "default", JobID: "web", TaskGroup: "g", ClientStatus: "pending"},
		{ID: "nil-states", TaskStates: map[string]*structs.TaskState{"t": nil}},
		{ID: `q"uote\back`, Namespace: "ns-ü", Name: "web.g[0]", JobID: "<b>&", NodeName: "tab\there",
			DesiredDescription: "stopped by\nuser", ClientDescription: "ok", Healthy: &yes,
			PreviousAllocation: "p", PreemptedByAllocation: "x", JobVersion: 7, CreateIndex: 1, ModifyIndex: 2,
			TaskStates: map[string]*structs.TaskState{"b": {State: "dead", ExitCode: &code, LastError: "boom\u2028", Health: "unhealthy"},
				"a": {State: "running", Restarts: 4}, "nil": nil}},
	} {
		s := SummarizeAlloc(a)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendAllocSummary(nil, a); string(got) != string(want) {
			t.Errorf("summary of %s:\n got %s\nwant %s", a.ID, got, want)
		}
		e := &Event{Topic: TopicAllocation, Type: "AllocationUpdated", Key: a.ID, Namespace: a.Namespace, Index: 12, Payload: a}
		got, err := e.Encode(Summary)
		if err != nil {
			t.Fatal(err)
		}
		type plain struct {
			Topic     string          `json:"topic"`
			Type      string          `json:"type"`
			Key       string          `json:"key"`
			Namespace string          `json:"namespace,omitempty"`
			Index     uint64          `json:"index"`
			Payload   json.RawMessage `json:"payload"`
		}
		env, _ := json.Marshal(plain{e.Topic, e.Type, e.Key, e.Namespace, e.Index, want})
		if string(got) != string(env) {
			t.Errorf("event %s:\n got %s\nwant %s", a.ID, got, env)
		}
	}
}
