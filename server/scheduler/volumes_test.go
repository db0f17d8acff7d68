package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// volumeJob is testJob with a host volume request mounted by its task.
func volumeJob(id string, count int, vol *structs.VolumeRequest, mountRO bool) *structs.Job {
	job := testJob(id, count)
	job.Groups[0].Volumes = []*structs.VolumeRequest{vol}
	job.Groups[0].Tasks[0].VolumeMounts = []*structs.VolumeMount{{Volume: vol.Name, Destination: "/data", ReadOnly: mountRO}}
	return job
}

func withVolume(n *structs.Node, name string, ro bool) *structs.Node {
	if n.HostVolumes == nil {
		n.HostVolumes = map[string]*structs.ClientHostVolume{}
	}
	n.HostVolumes[name] = &structs.ClientHostVolume{Name: name, Path: "/srv/" + name, ReadOnly: ro}
	return n
}

// A group asking for a host volume lands only on the node that has it,
// even though the nodes are otherwise of one class.
func TestHostVolume_PlacedOnlyWhereItExists(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(5)
	withVolume(nodes[3], "data", false)
	h.UpsertNode(nodes...)
	job := volumeJob("db", 3, &structs.VolumeRequest{Name: "d", Type: "host", Source: "data"}, false)
	h.UpsertJob(job)
	process(t, h, testEval(job))
	allocs := liveAllocs(t, h, job)
	if len(allocs) != 3 {
		t.Fatalf("%d placed, want 3", len(allocs))
	}
	for _, a := range allocs {
		if a.NodeID != nodes[3].ID {
			t.Fatalf("alloc %s on %s, want %s (the node with the volume)", a.Name, a.NodeID, nodes[3].ID)
		}
	}
}

// No node has the volume: the placement fails and the metric names the
// missing host volume.
func TestHostVolume_MissingReason(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(withVolume(testNode(1), "other", false), testNode(2))
	job := volumeJob("db", 1, &structs.VolumeRequest{Name: "d", Type: "host", Source: "nosuch"}, true)
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	m := got.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("want a failed placement, got %+v", got)
	}
	if n := m.ConstraintFiltered[`missing host volume "nosuch"`]; n != 2 {
		t.Fatalf("filter reasons = %v, want both nodes filtered for the missing host volume", m.ConstraintFiltered)
	}
}

// A read-only host volume does not satisfy a task that mounts it
// read-write, but does one that mounts it read-only.
func TestHostVolume_ReadOnly(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(withVolume(testNode(1), "data", true))
	rw := volumeJob("rw", 1, &structs.VolumeRequest{Name: "d", Type: "host", Source: "data"}, false)
	h.UpsertJob(rw)
	got := process(t, h, testEval(rw))
	if m := got.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered[`host volume "data" is read-only`] != 1 {
		t.Fatalf("read-write mount of a read-only volume: %+v", got.FailedTGAllocs)
	}
	ro := volumeJob("ro", 1, &structs.VolumeRequest{Name: "d", Type: "host", Source: "data"}, true)
	h.UpsertJob(ro)
	process(t, h, testEval(ro))
	if n := len(liveAllocs(t, h, ro)); n != 1 {
		t.Fatalf("read-only mount: %d placed, want 1", n)
	}
}

// per_alloc: allocation N needs the volume "source[N]", so each index
// goes to the node that has its own volume.
func TestHostVolume_PerAlloc(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(4)
	withVolume(nodes[1], "db[0]", false)
	withVolume(nodes[2], "db[1]", false)
	h.UpsertNode(nodes...)
	job := volumeJob("db", 3, &structs.VolumeRequest{Name: "d", Type: "host", Source: "db", PerAlloc: true}, false)
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	byName := map[string]string{}
	for _, a := range liveAllocs(t, h, job) {
		byName[a.Name] = a.NodeID
	}
	if byName[structs.AllocName("db", "web", 0)] != nodes[1].ID || byName[structs.AllocName("db", "web", 1)] != nodes[2].ID {
		t.Fatalf("placements = %v", byName)
	}
	if len(byName) != 2 {
		t.Fatalf("placements = %v, want index 2 unplaced (no db[2])", byName)
	}
	if m := got.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered[`missing host volume "db[2]"`] == 0 {
		t.Fatalf("failed = %+v", got.FailedTGAllocs)
	}
}

// ephemeral_disk and resources.disk are packed against the node's disk.
func TestDisk_Exhausted(t *testing.T) {
	h := NewHarness()
	n := testNode(1)
	n.Resources.DiskMB = 1000
	h.UpsertNode(n)
	job := testJob("scratch", 2)
	job.Groups[0].EphemeralDisk = &structs.EphemeralDisk{SizeMB: 500}
	job.Groups[0].Tasks[0].Resources.DiskMB = 100
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	allocs := liveAllocs(t, h, job)
	if len(allocs) != 1 || allocs[0].Resources.DiskMB != 600 {
		t.Fatalf("placed %d (%+v), want 1 asking 600 MB", len(allocs), allocs)
	}
	if m := got.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted["disk"] != 1 {
		t.Fatalf("failed = %+v, want disk exhausted", got.FailedTGAllocs)
	}
	if fit, dim, _ := AllocsFit(n, []*structs.Allocation{allocs[0], allocs[0]}); fit || dim != "disk" {
		t.Fatalf("AllocsFit = %v %q, want disk", fit, dim)
	}
}

// sticky: a destructive update puts the replacement on the previous
// allocation's node, though others are emptier.
func TestEphemeralDisk_StickyKeepsNode(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(6)...)
	job := testJob("web", 3)
	job.Groups[0].EphemeralDisk = &structs.EphemeralDisk{Sticky: true}
	h.UpsertJob(job)
	before := placeAndRun(t, h, job)
	v1 := newVersion(job, func(j *structs.Job) { j.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/v2"} })
	h.UpsertJob(v1)
	process(t, h, testEval(v1))
	after := liveAllocs(t, h, v1)
	if len(after) != 3 {
		t.Fatalf("%d live, want 3", len(after))
	}
	prevNode := map[string]string{}
	for _, a := range before {
		prevNode[a.ID] = a.NodeID
	}
	for _, a := range after {
		if a.JobVersion != 1 || a.PreviousAllocation == "" {
			t.Fatalf("alloc %+v is not a replacement", a)
		}
		if a.NodeID != prevNode[a.PreviousAllocation] {
			t.Fatalf("replacement %s on %s, previous on %s", a.Name, a.NodeID, prevNode[a.PreviousAllocation])
		}
	}
}
