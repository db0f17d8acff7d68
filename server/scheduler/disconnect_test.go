package scheduler

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// disconnectSetup runs web[0] on node 0 with a disconnect window, marks
// node 0 down and the allocation unknown since `ago`.
func disconnectSetup(t *testing.T, window, ago time.Duration, disc *structs.DisconnectStrategy) (*Harness, *structs.Job, []*structs.Node, *structs.Allocation) {
	t.Helper()
	h := NewHarness()
	nodes := testNodes(3)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	if disc != nil {
		job.Groups[0].Disconnect = disc
	} else {
		w := structs.Duration(window)
		job.Groups[0].MaxClientDisconnect = &w
	}
	h.UpsertJob(job)
	orig := testAlloc(job, 0, nodes[0])
	orig.CreateTime = time.Now().Add(-time.Hour).UnixNano()
	orig.ClientStatus = structs.AllocClientUnknown
	orig.DisconnectedAt = time.Now().Add(-ago).UnixNano()
	h.UpsertAllocs(orig)
	nodes[0].Status = structs.NodeStatusDown
	h.UpsertNode(nodes[0])
	return h, job, nodes, orig
}

func TestDisconnect_UnknownKeptAndReplacedWithinWindow(t *testing.T) {
	h, job, nodes, orig := disconnectSetup(t, time.Minute, time.Second, nil)
	process(t, h, testEval(job))
	plan := h.Plans[len(h.Plans)-1]
	if len(plan.NodeUpdate[nodes[0].ID]) != 0 {
		t.Fatalf("the unknown allocation was stopped: %+v", plan.NodeUpdate)
	}
	placed := planAllocs(plan.NodeAllocation)
	if len(placed) != 1 || placed[0].PreviousAllocation != orig.ID || placed[0].NodeID == nodes[0].ID {
		t.Fatalf("replacement = %+v", placed)
	}
	if s := h.AllocByID(orig.ID); s.DesiredStatus != structs.AllocDesiredRun || s.ClientStatus != structs.AllocClientUnknown {
		t.Fatalf("original = %s/%s", s.DesiredStatus, s.ClientStatus)
	}
	// A delayed evaluation wakes the job when the window ends.
	want := orig.DisconnectedAt + int64(time.Minute)
	var found bool
	for _, e := range h.CreateEvals {
		found = found || (e.WaitUntil == want && e.Status == structs.EvalStatusPending)
	}
	if !found {
		t.Fatalf("no delayed evaluation at the window's end among %d created", len(h.CreateEvals))
	}

	// A second evaluation while the node is still away changes nothing.
	plans := len(h.Plans)
	process(t, h, testEval(job))
	if len(h.Plans) != plans {
		t.Fatalf("a second evaluation planned again: %+v", h.Plans[len(h.Plans)-1])
	}
}

func TestDisconnect_ReconnectKeepsOriginal(t *testing.T) {
	for _, tc := range []struct {
		name         string
		disc         *structs.DisconnectStrategy
		keepOriginal bool
	}{
		{"max_client_disconnect", nil, true},
		{"best_score", &structs.DisconnectStrategy{LostAfter: structs.Duration(time.Minute), Reconcile: "best_score"}, true},
		{"keep_replacement", &structs.DisconnectStrategy{LostAfter: structs.Duration(time.Minute), Reconcile: "keep_replacement"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, job, nodes, orig := disconnectSetup(t, time.Minute, time.Second, tc.disc)
			process(t, h, testEval(job))
			repl := planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation)[0]
			nodes[0].Status = structs.NodeStatusReady
			h.UpsertNode(nodes[0])

			process(t, h, testEval(job))
			plan := h.Plans[len(h.Plans)-1]
			stops := planAllocs(plan.NodeUpdate)
			wantStopped, wantKept := repl.ID, orig.ID
			if !tc.keepOriginal {
				wantStopped, wantKept = orig.ID, repl.ID
			}
			if len(stops) != 1 || stops[0].ID != wantStopped {
				t.Fatalf("stops = %+v, want only %s", stops, wantStopped)
			}
			if len(plan.NodeAllocation) != 0 {
				t.Fatalf("placed %+v", planAllocs(plan.NodeAllocation))
			}
			live := liveAllocs(t, h, job)
			if len(live) != 1 || live[0].ID != wantKept {
				t.Fatalf("live = %v, want %s", allocNames(live), wantKept)
			}
		})
	}
}

func TestDisconnect_WindowOverLosesOriginal(t *testing.T) {
	h, job, nodes, orig := disconnectSetup(t, time.Minute, 2*time.Minute, nil)
	process(t, h, testEval(job))
	plan := h.Plans[len(h.Plans)-1]
	stops := plan.NodeUpdate[nodes[0].ID]
	if len(stops) != 1 || stops[0].ID != orig.ID || stops[0].ClientStatus != structs.AllocClientLost {
		t.Fatalf("stops = %+v", stops)
	}
	if placed := planAllocs(plan.NodeAllocation); len(placed) != 1 || placed[0].PreviousAllocation != orig.ID {
		t.Fatalf("replacement = %+v", placed)
	}
}

func TestDisconnect_NoReplaceKeepsIndex(t *testing.T) {
	no := false
	disc := &structs.DisconnectStrategy{LostAfter: structs.Duration(time.Minute), Replace: &no}
	h, job, _, _ := disconnectSetup(t, 0, time.Second, disc)
	process(t, h, testEval(job))
	for _, p := range h.Plans {
		if len(p.NodeAllocation) != 0 || len(p.NodeUpdate) != 0 {
			t.Fatalf("replace = false still planned %+v", p)
		}
	}
}

func TestDisconnect_Validate(t *testing.T) {
	w := structs.Duration(time.Minute)
	for _, tc := range []struct {
		name string
		tg   structs.TaskGroup
		ok   bool
	}{
		{"max_client_disconnect", structs.TaskGroup{MaxClientDisconnect: &w}, true},
		{"both", structs.TaskGroup{MaxClientDisconnect: &w, Disconnect: &structs.DisconnectStrategy{LostAfter: w}}, false},
		{"zero lost_after", structs.TaskGroup{Disconnect: &structs.DisconnectStrategy{}}, false},
		{"bad reconcile", structs.TaskGroup{Disconnect: &structs.DisconnectStrategy{LostAfter: w, Reconcile: "coin"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := tc.tg
			tg.Name, tg.Count = "web", 1
			tg.Tasks = []*structs.Task{{Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"}}}
			job := testJob("web", 1)
			job.Groups = []*structs.TaskGroup{&tg}
			err := tg.Validate(job)
			if (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// A system job's allocation on a down node is left unknown within its
// window (nothing replaces it: one per node) and lost after it.
func TestDisconnect_SystemJob(t *testing.T) {
	for _, tc := range []struct {
		name string
		ago  time.Duration
		lost bool
	}{{"within", time.Second, false}, {"after", 2 * time.Minute, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHarness()
			nodes := testNodes(2)
			h.UpsertNode(nodes...)
			job := systemJob("agent", structs.JobTypeSystem)
			w := structs.Duration(time.Minute)
			job.Groups[0].MaxClientDisconnect = &w
			h.UpsertJob(job)
			process(t, h, testEval(job))
			var orig *structs.Allocation
			for _, a := range liveAllocs(t, h, job) {
				if a.NodeID == nodes[0].ID {
					orig = a.Copy()
				}
			}
			orig.ClientStatus, orig.DisconnectedAt = structs.AllocClientUnknown, time.Now().Add(-tc.ago).UnixNano()
			h.UpsertAllocs(orig)
			nodes[0].Status = structs.NodeStatusDown
			h.UpsertNode(nodes[0])

			process(t, h, testEval(job))
			got := h.AllocByID(orig.ID)
			if lost := got.ClientStatus == structs.AllocClientLost && got.DesiredStatus == structs.AllocDesiredStop; lost != tc.lost {
				t.Fatalf("allocation %s/%s, want lost=%v", got.DesiredStatus, got.ClientStatus, tc.lost)
			}
		})
	}
}

// prevent_reschedule_on_lost without a window: the allocation stays
// unknown, unreplaced, however long its node is away.
func TestDisconnect_PreventRescheduleOnLost(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	job.Groups[0].PreventRescheduleOnLost = true
	h.UpsertJob(job)
	orig := testAlloc(job, 0, nodes[0])
	orig.ClientStatus, orig.DisconnectedAt = structs.AllocClientUnknown, time.Now().Add(-24*time.Hour).UnixNano()
	h.UpsertAllocs(orig)
	nodes[0].Status = structs.NodeStatusDown
	h.UpsertNode(nodes[0])
	process(t, h, testEval(job))
	for _, p := range h.Plans {
		if len(p.NodeAllocation) != 0 || len(p.NodeUpdate) != 0 {
			t.Fatalf("planned %+v", p)
		}
	}
	if len(h.CreateEvals) != 0 {
		t.Fatalf("created %d evaluations, want none (no window to wait for)", len(h.CreateEvals))
	}
	if !job.Groups[0].UnknownWhenDown() || job.Groups[0].ReplacesDisconnected() {
		t.Fatal("prevent_reschedule_on_lost: want unknown when down and no replacement")
	}
}
