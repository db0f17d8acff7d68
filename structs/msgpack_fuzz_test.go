package structs

import (
	"testing"
)

// rpcBodies make a fresh value of each request an RPC server decodes from
// the network (clients, agents forwarding the HTTP API, other servers).
var rpcBodies = []func() any{
	func() any { return &JobRegisterRequest{} },
	func() any { return &JobPlanRequest{} },
	func() any { return &JobDeregisterRequest{} },
	func() any { return &JobRevertRequest{} },
	func() any { return &JobDispatchRequest{} },
	func() any { return &JobListRequest{} },
	func() any { return &NodeRegisterRequest{} },
	func() any { return &NodeHeartbeatRequest{} },
	func() any { return &AllocUpdateRequest{} },
	func() any { return &AllocStopRequest{} },
	func() any { return &AllocsGetRequest{} },
	func() any { return &NodeDrainRequest{} },
	func() any { return &NodeEligibilityRequest{} },
	func() any { return &ACLPolicyUpsertRequest{} },
	func() any { return &ACLTokenUpsertRequest{} },
	func() any { return &ACLRoleUpsertRequest{} },
	func() any { return &ACLBootstrapRequest{} },
	func() any { return &NamespaceUpsertRequest{} },
	func() any { return &ClientCallRequest{} },
	func() any { return &RaftPeerRequest{} },
}

// FuzzDecodeRPCBody decodes arbitrary msgpack into every RPC request type:
// no input may panic the decoder, and a decoded job survives the
// Canonicalize and Validate the servers run on it.
func FuzzDecodeRPCBody(f *testing.F) {
	job := &Job{ID: "web", Groups: []*TaskGroup{{Name: "g", Count: 2, Tasks: []*Task{{Name: "t", Driver: "exec",
		Config: map[string]any{"command": "/bin/sleep", "args": []any{"60"}}}}}}}
	seeds := []any{
		&JobRegisterRequest{Job: job},
		&JobPlanRequest{Job: job},
		&JobDeregisterRequest{JobID: "web", Purge: true},
		&NodeRegisterRequest{Node: &Node{ID: "n1", Name: "c1", Attributes: map[string]string{"os": "linux"}}},
		&AllocUpdateRequest{Allocs: []*AllocStatusUpdate{{ID: "a1", ClientStatus: AllocClientRunning}}},
		&ACLPolicyUpsertRequest{Policies: []*ACLPolicy{{Name: "p", Rules: `namespace "default" { policy = "read" }`}}},
	}
	for i, s := range seeds {
		b, err := EncodeMsgpack(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	nullGroup, err := EncodeMsgpack(&JobRegisterRequest{Job: &Job{ID: "x", Groups: []*TaskGroup{nil}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), nullGroup)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		v := rpcBodies[int(which)%len(rpcBodies)]()
		if err := DecodeMsgpack(data, v); err != nil {
			return
		}
		var j *Job
		switch r := v.(type) {
		case *JobRegisterRequest:
			j = r.Job
		case *JobPlanRequest:
			j = r.Job
		}
		if j != nil {
			j.Canonicalize()
			_ = j.Validate()
		}
	})
}
