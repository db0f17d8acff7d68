package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// canaryJob: 2 allocations, 1 canary, then one replaced at a time.
func canaryJob(autoPromote, autoRevert bool) *structs.Job {
	job := testJob("web", 2)
	job.Update = &structs.UpdateStrategy{MaxParallel: 1, Canary: 1, AutoPromote: autoPromote, AutoRevert: autoRevert}
	return job
}

func canariesOf(allocs []*structs.Allocation) (canaries, others []*structs.Allocation) {
	for _, a := range allocs {
		if a.Canary {
			canaries = append(canaries, a)
		} else {
			others = append(others, a)
		}
	}
	return canaries, others
}

// promoted is the job version as the servers store it after a promotion.
func promoted(job *structs.Job) *structs.Job {
	c := job.Copy()
	c.Promoted, c.ProgressTime = true, time.Now().UnixNano()
	return c
}

// startCanaryUpdate runs v0 with all allocations healthy and registers
// v1, whose first evaluation places the canary.
func startCanaryUpdate(t *testing.T, h *Harness, job *structs.Job) (v1 *structs.Job, old []*structs.Allocation) {
	t.Helper()
	h.UpsertJob(job)
	old = placeAndRun(t, h, job)
	for _, a := range old {
		setHealth(t, h, a, true)
	}
	stable := job.Copy()
	stable.Stable = true
	h.UpsertJob(stable)
	v1 = v2Of(job)
	h.UpsertJob(v1)
	process(t, h, testEval(v1))
	return v1, old
}

// A destructive update with canary = 1 places one canary of v1 next to
// the two old allocations, which keep running, also across further
// evaluations and once the canary is healthy (until the promotion).
func TestCanary_PlacedNextToOld(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	v1, old := startCanaryUpdate(t, h, canaryJob(false, false))

	for round := 0; round < 2; round++ {
		live := liveAllocs(t, h, v1)
		canaries, others := canariesOf(live)
		if len(canaries) != 1 || len(others) != 2 {
			t.Fatalf("round %d: %d canaries and %d others live (%v), want 1 canary next to the 2 old", round, len(canaries), len(others), allocNames(live))
		}
		if canaries[0].JobVersion != 1 || canaries[0].PreviousAllocation != "" {
			t.Fatalf("canary %+v: want version 1 and no predecessor", canaries[0])
		}
		for _, a := range others {
			if a.JobVersion != 0 || (a.ID != old[0].ID && a.ID != old[1].ID) {
				t.Fatalf("round %d: old allocation replaced before the promotion: %+v", round, a)
			}
		}
		setHealth(t, h, canaries[0], true)
		process(t, h, testEval(v1))
	}
	d, err := DecideRollout(h, v1.Namespace, v1.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if d.Changed() {
		t.Fatalf("decision without auto_promote = %+v, want nothing (waits for a manual promotion)", d)
	}
	dep := structs.DeploymentOf(v1, v1, mustAllocs(t, h, v1))
	if dep.Status != structs.DeploymentRunning || dep.StatusDescription != structs.DeploymentDescPromotion {
		t.Fatalf("deployment = %s (%s), want running, requiring promotion", dep.Status, dep.StatusDescription)
	}
	g := dep.TaskGroups["web"]
	if g.DesiredCanaries != 1 || len(g.PlacedCanaries) != 1 || g.HealthyAllocs != 1 || g.Promoted {
		t.Fatalf("group state = %+v", g)
	}
}

func mustAllocs(t *testing.T, h *Harness, job *structs.Job) []*structs.Allocation {
	t.Helper()
	allocs, err := h.AllocsByJob(job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return allocs
}

// After the promotion the canary takes its index, the old allocation
// there stops, and the rolling update replaces the other one by
// max_parallel; the version ends stable with 2 allocations of v1.
func TestCanary_PromotionContinuesRollout(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	v1, _ := startCanaryUpdate(t, h, canaryJob(false, false))
	canaries, _ := canariesOf(liveAllocs(t, h, v1))
	setHealth(t, h, canaries[0], true)

	p := promoted(v1)
	h.UpsertJob(p)
	process(t, h, testEval(p))
	live := liveAllocs(t, h, p)
	if len(live) != 2 {
		t.Fatalf("after promotion %d live (%v), want 2 (the canary and one old or its replacement)", len(live), allocNames(live))
	}
	var stopped *structs.Allocation
	for _, a := range mustAllocs(t, h, p) {
		if a.JobVersion == 0 && a.DesiredStatus == structs.AllocDesiredStop && a.Index() == canaries[0].Index() {
			stopped = a
		}
	}
	if stopped == nil || stopped.DesiredDescription != descCanaryPromoted {
		t.Fatalf("stopped old allocation = %+v, want the one at the canary's index, %q", stopped, descCanaryPromoted)
	}
	// The other old allocation is replaced by max_parallel, gated by health.
	for i := 0; i < 3 && len(allocsAt(t, h, p, 1)) < 2; i++ {
		for _, a := range allocsAt(t, h, p, 1) {
			setHealth(t, h, a, true)
		}
		process(t, h, testEval(p))
	}
	at1 := allocsAt(t, h, p, 1)
	if len(at1) != 2 || len(liveAllocs(t, h, p)) != 2 {
		t.Fatalf("live = %v, want 2 allocations of v1 and nothing else", allocNames(liveAllocs(t, h, p)))
	}
	for _, a := range at1 {
		setHealth(t, h, a, true)
	}
	d, err := DecideRollout(h, p.Namespace, p.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Stable {
		t.Fatalf("decision = %+v, want v1 stable", d)
	}
}

// With auto_promote the leader's decision promotes once every canary is
// healthy, not before.
func TestCanary_AutoPromote(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	v1, _ := startCanaryUpdate(t, h, canaryJob(true, false))
	d, err := DecideRollout(h, v1.Namespace, v1.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if d.Promote {
		t.Fatalf("promoted before the canary was healthy: %+v", d)
	}
	canaries, _ := canariesOf(liveAllocs(t, h, v1))
	setHealth(t, h, canaries[0], true)
	if d, err = DecideRollout(h, v1.Namespace, v1.ID, state.SpecEqual); err != nil || !d.Promote {
		t.Fatalf("decision = %+v, %v; want a promotion", d, err)
	}
}

// An unhealthy canary fails the update; with auto_revert the decision
// names the stable v0, and once v2 (v0's spec) is registered the canary
// is stopped and the old allocations stay.
func TestCanary_FailureReverts(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := canaryJob(false, true)
	v1, old := startCanaryUpdate(t, h, job)
	canaries, _ := canariesOf(liveAllocs(t, h, v1))
	setHealth(t, h, canaries[0], false)

	d, err := DecideRollout(h, v1.Namespace, v1.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if d.RevertTo == nil || d.RevertTo.Version != 0 || !strings.Contains(d.Failure, "reverting to stable version 0") {
		t.Fatalf("decision = %+v, want a revert to version 0", d)
	}
	process(t, h, testEval(v1))
	if c, _ := canariesOf(liveAllocs(t, h, v1)); len(c) != 1 {
		t.Fatalf("a failed update placed more canaries: %v", allocNames(c))
	}
	v2 := job.Copy()
	v2.Version = 2
	h.UpsertJob(v2)
	process(t, h, testEval(v2))
	live := liveAllocs(t, h, v2)
	if len(live) != 2 {
		t.Fatalf("after the revert %d live (%v), want the 2 old", len(live), allocNames(live))
	}
	for _, a := range live {
		if a.Canary || (a.ID != old[0].ID && a.ID != old[1].ID) {
			t.Fatalf("after the revert live %+v, want the old allocations kept in place", a)
		}
	}
	if got := h.AllocByID(canaries[0].ID); got.DesiredStatus != structs.AllocDesiredStop || got.DesiredDescription != descCanaryAbandon {
		t.Fatalf("canary after the revert: %s %q, want stopped as %q", got.DesiredStatus, got.DesiredDescription, descCanaryAbandon)
	}
}

// The progress deadline fails an update in which no allocation became
// healthy in time; it is paused while healthy canaries wait for a manual
// promotion.
func TestCanary_ProgressDeadline(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := canaryJob(false, false)
	job.Update.ProgressDeadline = structs.Duration(time.Minute)
	v1, _ := startCanaryUpdate(t, h, job)
	v1.SubmitTime = time.Now().UnixNano()
	h.UpsertJob(v1)

	d, err := DecideRolloutAt(h, v1.Namespace, v1.ID, state.SpecEqual, time.Now())
	if err != nil || d.Failure != "" || d.RecheckAt.IsZero() {
		t.Fatalf("decision before the deadline = %+v, %v; want a recheck time and no failure", d, err)
	}
	d, err = DecideRolloutAt(h, v1.Namespace, v1.ID, state.SpecEqual, d.RecheckAt.Add(time.Second))
	if err != nil || !strings.Contains(d.Failure, "no allocation became healthy within progress_deadline 1m0s") {
		t.Fatalf("decision after the deadline = %+v, %v; want a failure", d, err)
	}
	canaries, _ := canariesOf(liveAllocs(t, h, v1))
	setHealth(t, h, canaries[0], true)
	d, err = DecideRolloutAt(h, v1.Namespace, v1.ID, state.SpecEqual, time.Now().Add(time.Hour))
	if err != nil || d.Changed() || !d.RecheckAt.IsZero() {
		t.Fatalf("decision while waiting for the promotion = %+v, %v; want nothing", d, err)
	}
}

// canary may exceed count (as in Nomad): all canaries run next to the old
// allocation, and after the promotion the extra one is stopped.
func TestCanary_MoreCanariesThanCount(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := testJob("web", 1)
	job.Update = &structs.UpdateStrategy{Canary: 2}
	v1, old := startCanaryUpdate(t, h, job)
	canaries, others := canariesOf(liveAllocs(t, h, v1))
	if len(canaries) != 2 || len(others) != 1 || others[0].ID != old[0].ID {
		t.Fatalf("live = %v, want 2 canaries next to the old allocation", allocNames(liveAllocs(t, h, v1)))
	}
	for _, c := range canaries {
		setHealth(t, h, c, true)
	}
	p := promoted(v1)
	h.UpsertJob(p)
	process(t, h, testEval(p))
	live := liveAllocs(t, h, p)
	if len(live) != 1 || !live[0].Canary || live[0].JobVersion != 1 || live[0].Index() != 0 {
		t.Fatalf("after promotion live = %v, want only the canary at index 0", allocNames(live))
	}
}

// A canary lost with its node is stopped and placed again elsewhere; the
// old allocations keep running meanwhile.
func TestCanary_LostCanaryReplaced(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(3)
	h.UpsertNode(nodes...)
	v1, old := startCanaryUpdate(t, h, canaryJob(false, false))
	canaries, _ := canariesOf(liveAllocs(t, h, v1))
	// Put the canary on a node of its own, so that only it is lost (the
	// placement may have put it next to an old allocation).
	used := map[string]bool{}
	for _, a := range old {
		used[a.NodeID] = true
	}
	lostNode := ""
	for _, n := range nodes {
		if !used[n.ID] {
			lostNode = n.ID
			break
		}
	}
	moved := h.AllocByID(canaries[0].ID).Copy()
	moved.NodeID = lostNode
	h.UpsertAllocs(moved)
	h.DeleteNode(lostNode)
	process(t, h, testEval(v1))
	if got := h.AllocByID(canaries[0].ID); got.DesiredStatus != structs.AllocDesiredStop {
		t.Fatalf("lost canary: desired %s, want stop", got.DesiredStatus)
	}
	now, others := canariesOf(liveAllocs(t, h, v1))
	if len(now) != 1 || now[0].ID == canaries[0].ID || now[0].NodeID == lostNode || len(others) != 2 {
		t.Fatalf("live = %v, want a new canary on another node and the 2 old allocations", allocNames(liveAllocs(t, h, v1)))
	}
}
