package server

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func dispatch(s *Server, id string, meta map[string]string, payload []byte) (*structs.JobDispatchResponse, error) {
	var reply structs.JobDispatchResponse
	err := s.RPC(structs.JobDispatchRPC, &structs.JobDispatchRequest{JobID: id, Meta: meta, Payload: payload}, &reply)
	return &reply, err
}

// started counts the dispatched children the queue started.
func started(t *testing.T, s *Server, parent string) (n int) {
	t.Helper()
	for _, c := range children(t, s, parent) {
		l, err := s.State().PeriodicLaunchByID(nil, c.Namespace, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l != nil {
			n++
		}
	}
	return n
}

func TestDispatchValidation(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("param", 1, 64)
	job.Type = structs.JobTypeBatch
	job.Parameterized = &structs.ParameterizedConfig{Payload: "required", MetaRequired: []string{"user"}}
	registerJob(t, s, job)
	for _, c := range []struct {
		id      string
		meta    map[string]string
		payload []byte
		want    string
	}{
		{"param", map[string]string{"user": "a"}, nil, "payload is required"},
		{"param", nil, []byte("x"), `meta key "user" is required`},
		{"param", map[string]string{"user": "a"}, make([]byte, 17*1024), "limit of 16384 bytes"},
		{"missing", nil, nil, "not found"},
	} {
		_, err := dispatch(s, c.id, c.meta, c.payload)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dispatch %s: error %v, want %q", c.id, err, c.want)
		}
	}
	reply, err := dispatch(s, "param", map[string]string{"user": "ann"}, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	child := storedJob(t, s, reply.DispatchedJobID)
	if !strings.HasPrefix(child.ID, "param/dispatch-") || string(child.Payload) != "hello" ||
		child.Meta["user"] != "ann" || child.Parameterized != nil || child.ParentID != "param" {
		t.Fatalf("bad child %q payload %q meta %v", child.ID, child.Payload, child.Meta)
	}
	plain := testJob("plain", 1, 64)
	registerJob(t, s, plain)
	if _, err := dispatch(s, "plain", nil, nil); err == nil || !strings.Contains(err.Error(), "not parameterized") {
		t.Fatalf("dispatch of a plain job: %v", err)
	}
}

// TestDispatchMaxConcurrent: with no node, started children stay pending,
// so at most max_concurrent start; stopping one starts the next queued.
func TestDispatchMaxConcurrent(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("q", 1, 64)
	job.Type = structs.JobTypeBatch
	job.Parameterized = &structs.ParameterizedConfig{MaxConcurrent: 2}
	registerJob(t, s, job)
	for i := 0; i < 5; i++ {
		if _, err := dispatch(s, "q", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "two children started", func() bool { return started(t, s, "q") == 2 })
	// Stop one started child: it is dead, a queued one takes its slot.
	for _, c := range children(t, s, "q") {
		if l, _ := s.State().PeriodicLaunchByID(nil, c.Namespace, c.ID); l != nil {
			var reply structs.JobDeregisterResponse
			if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: c.ID}, &reply); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	waitFor(t, "a third child started", func() bool { return started(t, s, "q") == 3 })
	// The runner's pass is synchronous: one more pass must not exceed the cap.
	newScheduleRunner(s, time.Now).pass(nil)
	if n := started(t, s, "q"); n != 3 {
		t.Fatalf("%d children started, want 3 (2 running + 1 stopped)", n)
	}
}

func TestJobTimeBounds(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	now := time.Now()
	job := testJob("bounded", 1, 64)
	job.EndTime = now.Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	registerJob(t, s, job)
	waitFor(t, "allocation placed", func() bool { return liveAllocs(jobAllocs(t, s, "bounded")) == 1 })
	waitFor(t, "allocation stopped after end_time", func() bool { return liveAllocs(jobAllocs(t, s, "bounded")) == 0 })
	if time.Now().Before(now.Add(2 * time.Second)) {
		t.Fatal("allocation stopped before end_time")
	}

	late := testJob("later", 1, 64)
	start := time.Now().Add(3 * time.Second)
	late.StartTime = start.UTC().Format(time.RFC3339Nano)
	reply := registerJob(t, s, late)
	waitFor(t, "register eval complete", func() bool {
		return getEval(t, s, reply.EvalID).Status == structs.EvalStatusComplete
	})
	if n := liveAllocs(jobAllocs(t, s, "later")); n != 0 && time.Now().Before(start) {
		t.Fatalf("%d allocations placed before start_time", n)
	}
	waitFor(t, "allocation placed after start_time", func() bool { return liveAllocs(jobAllocs(t, s, "later")) == 1 })
}
