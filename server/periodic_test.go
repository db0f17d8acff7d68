package server

import (
	"regexp"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func periodicJob(id string, p *structs.PeriodicConfig) *structs.Job {
	j := testJob(id, 1, 64)
	j.Type = structs.JobTypeBatch
	j.Periodic = p
	return j
}

func children(t *testing.T, s *Server, parent string) []*structs.Job {
	t.Helper()
	out, err := s.State().ChildJobs(nil, structs.DefaultNamespace, parent)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func storedJob(t *testing.T, s *Server, id string) *structs.Job {
	t.Helper()
	j, err := s.State().JobByID(nil, structs.DefaultNamespace, id)
	if err != nil || j == nil {
		t.Fatalf("job %q: %v (found: %v)", id, err, j != nil)
	}
	return j
}

func TestPeriodicIntervalLaunchesChildren(t *testing.T) {
	s := testServer(t, nil)
	registerJob(t, s, periodicJob("per", &structs.PeriodicConfig{Interval: structs.Duration(time.Second)}))
	waitFor(t, "two periodic children", func() bool { return len(children(t, s, "per")) >= 2 })
	name := regexp.MustCompile(`^per/periodic-[0-9]+$`)
	seen := map[string]bool{}
	for _, c := range children(t, s, "per") {
		if !name.MatchString(c.ID) || c.ParentID != "per" || c.Periodic != nil || seen[c.ID] {
			t.Fatalf("bad child %q (parent %q, periodic %v, dup %v)", c.ID, c.ParentID, c.Periodic != nil, seen[c.ID])
		}
		seen[c.ID] = true
	}
	if parent := storedJob(t, s, "per"); parent.Status != structs.JobStatusRunning {
		t.Fatalf("periodic parent status %q, want running", parent.Status)
	}
	if n := len(jobAllocs(t, s, "per")); n != 0 {
		t.Fatalf("the periodic parent itself got %d allocations", n)
	}
}

func TestPeriodicForce(t *testing.T) {
	s := testServer(t, nil)
	registerJob(t, s, periodicJob("daily", &structs.PeriodicConfig{Crons: []string{"0 0 3 * * *"}}))
	var reply structs.PeriodicForceResponse
	if err := s.RPC(structs.JobPeriodicForceRPC, &structs.PeriodicForceRequest{JobID: "daily"}, &reply); err != nil {
		t.Fatalf("force: %v", err)
	}
	child := storedJob(t, s, reply.ChildJobID)
	if child.Meta[structs.MetaPeriodicForced] != "true" || child.ParentID != "daily" {
		t.Fatalf("forced child %q meta %v parent %q", child.ID, child.Meta, child.ParentID)
	}
	var st structs.PeriodicStatusResponse
	if err := s.RPC(structs.JobPeriodicStatusRPC, &structs.JobSpecificRequest{JobID: "daily"}, &st); err != nil {
		t.Fatal(err)
	}
	if st.Status.NextLaunch == "" || len(st.Status.Children) != 1 {
		t.Fatalf("status: next %q, %d children", st.Status.NextLaunch, len(st.Status.Children))
	}
	next, _ := time.Parse(time.RFC3339, st.Status.NextLaunch)
	if next.UTC().Hour() != 3 || next.Minute() != 0 {
		t.Fatalf("next launch %s is not at 03:00 UTC", st.Status.NextLaunch)
	}
	err := s.RPC(structs.JobPeriodicForceRPC, &structs.PeriodicForceRequest{JobID: "nope"}, &reply)
	if err == nil || !structs.IsNotFound(err) {
		t.Fatalf("force of a missing job: %v", err)
	}
}

// TestPeriodicFailover drives the dispatcher with a fake clock: a new
// leader does not repeat a recorded launch and launches a tick missed
// during the failover once, marked late.
func TestPeriodicFailover(t *testing.T) {
	s := testServer(t, nil)
	registerJob(t, s, periodicJob("hourly", &structs.PeriodicConfig{Interval: structs.Duration(time.Hour)}))
	t0 := time.Unix(0, storedJob(t, s, "hourly").SubmitTime)
	at := func(d time.Duration) func() time.Time { return func() time.Time { return t0.Add(d) } }
	pass := func(leaderSince, now time.Duration) {
		r := newScheduleRunner(s, at(leaderSince))
		r.now = at(now)
		r.pass(nil)
	}
	// Leader since the start: the 1h tick is launched on time.
	pass(0, time.Hour+100*time.Millisecond)
	c := children(t, s, "hourly")
	if len(c) != 1 || c[0].Meta[structs.MetaPeriodicLate] != "" {
		t.Fatalf("after the first tick: %d children, late=%q", len(c), c[0].Meta[structs.MetaPeriodicLate])
	}
	// Leadership lost and regained: nothing new is due, nothing repeats.
	pass(time.Hour+time.Second, time.Hour+2*time.Second)
	if n := len(children(t, s, "hourly")); n != 1 {
		t.Fatalf("a new leader repeated a launch: %d children", n)
	}
	// The 2h tick passes while there is no leader; the new one runs it once, late.
	pass(2*time.Hour+800*time.Millisecond, 2*time.Hour+800*time.Millisecond)
	pass(2*time.Hour+800*time.Millisecond, 2*time.Hour+900*time.Millisecond)
	c = children(t, s, "hourly")
	if len(c) != 2 {
		t.Fatalf("missed tick: %d children, want 2", len(c))
	}
	late := storedJob(t, s, structs.PeriodicChildID("hourly", t0.Add(2*time.Hour)))
	if late.Meta[structs.MetaPeriodicLate] != "true" {
		t.Fatalf("missed launch not marked late: meta %v", late.Meta)
	}
}

func TestPeriodicProhibitOverlap(t *testing.T) {
	s := testServer(t, nil)
	registerJob(t, s, periodicJob("ov", &structs.PeriodicConfig{Interval: structs.Duration(time.Hour), ProhibitOverlap: true}))
	t0 := time.Unix(0, storedJob(t, s, "ov").SubmitTime)
	r := newScheduleRunner(s, func() time.Time { return t0 })
	r.now = func() time.Time { return t0.Add(time.Hour) }
	r.pass(nil)
	// No node: the first child stays pending, so the next tick is skipped.
	r.now = func() time.Time { return t0.Add(2 * time.Hour) }
	r.pass(nil)
	if n := len(children(t, s, "ov")); n != 1 {
		t.Fatalf("prohibit_overlap: %d children, want 1", n)
	}
	l, err := s.State().PeriodicLaunchByID(nil, structs.DefaultNamespace, "ov")
	if err != nil || l == nil || l.Launch != t0.Add(2*time.Hour).UnixNano() {
		t.Fatalf("the skipped tick is not recorded: %+v, %v", l, err)
	}
}
