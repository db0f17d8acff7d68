package structs

import (
	"reflect"
	"testing"
	"time"
)

func intPtr(i int) *int { return &i }

func TestEncodeDecodeJobRoundTrip(t *testing.T) {
	job := &Job{
		ID: "web", Name: "web", Namespace: DefaultNamespace, Type: JobTypeService,
		Priority: 50, Datacenters: []string{"dc1"}, Meta: map[string]string{"team": "a"},
		Groups: []*TaskGroup{{
			Name: "api", Count: 3,
			Constraints: []*Constraint{{Attribute: "${attr.kernel.name}", Operator: "=", Value: "linux"}},
			Tasks: []*Task{{
				Name: "server", Driver: "exec",
				Config: map[string]any{
					"command": "/bin/sh",
					"args":    []any{"-c", "echo hi"},
					"ports":   map[string]any{"http": int64(8080), "tls": true},
					"nested":  []any{map[string]any{"k": "v", "n": 1.5}},
				},
				Env:         map[string]string{"A": "1"},
				Resources:   &Resources{CPU: 100, MemoryMB: 64},
				KillTimeout: Duration(7 * time.Second),
			}},
		}},
		Version: 3, SubmitTime: 1700000000000000000, CreateIndex: 1, ModifyIndex: 9, JobModifyIndex: 7,
	}
	buf, err := Encode(JobRegisterRequestType, &JobRegisterEntry{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	if MessageType(buf[0]) != JobRegisterRequestType {
		t.Fatalf("type byte = %d, want %d", buf[0], JobRegisterRequestType)
	}
	var out JobRegisterEntry
	if err := Decode(buf[1:], &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(job, out.Job) {
		t.Fatalf("job changed in round trip:\n got %#v\nwant %#v", out.Job, job)
	}
	cfg := out.Job.Groups[0].Tasks[0].Config
	if _, ok := cfg["command"].(string); !ok {
		t.Fatalf("command decoded as %T, want string", cfg["command"])
	}
	if _, ok := cfg["ports"].(map[string]any); !ok {
		t.Fatalf("ports decoded as %T, want map[string]any", cfg["ports"])
	}
}

func TestEncodeDecodeAllocTaskStates(t *testing.T) {
	alloc := &Allocation{
		ID: "a1", Namespace: DefaultNamespace, JobID: "web", TaskGroup: "api",
		DesiredStatus: AllocDesiredRun, ClientStatus: AllocClientComplete,
		TaskStates: map[string]*TaskState{
			"server": {State: TaskStateDead, Failed: false, Restarts: 2, ExitCode: intPtr(0),
				StartedAt: 10, FinishedAt: 20,
				Events: []*TaskEvent{{Type: TaskEventTerminated, Time: 20, ExitCode: intPtr(0)}}},
			"side": {State: TaskStateDead, Failed: true, ExitCode: intPtr(137)},
		},
		Resources: &Resources{CPU: 100, MemoryMB: 64},
	}
	b, err := EncodeMsgpack(alloc)
	if err != nil {
		t.Fatal(err)
	}
	var out Allocation
	if err := DecodeMsgpack(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(alloc, &out) {
		t.Fatalf("alloc changed in round trip:\n got %#v\nwant %#v", &out, alloc)
	}
	if *out.TaskStates["server"].ExitCode != 0 || *out.TaskStates["side"].ExitCode != 137 {
		t.Fatalf("exit codes lost: %+v", out.TaskStates)
	}
}

func TestDecodeErrors(t *testing.T) {
	var j Job
	if err := DecodeMsgpack(nil, &j); err == nil {
		t.Fatal("empty input decoded without error")
	}
	if err := Decode([]byte{0x81, 0xa2}, &j); err == nil {
		t.Fatal("truncated input decoded without error")
	}
}
