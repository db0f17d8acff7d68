package scheduler

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// volumeNeed is one host volume a group requests, as the scheduler checks
// it against a node's advertised host volumes.
type volumeNeed struct {
	req *structs.VolumeRequest
	// writable: some task mounts the volume read-write, so a node that
	// offers it read-only cannot run the group.
	writable bool
}

// addVolumes sorts the group's host volume requests into those checked per
// node class and the per_alloc ones checked per placement.
func (g *groupChecker) addVolumes(tg *structs.TaskGroup) {
	for _, v := range tg.Volumes {
		if v == nil || v.Type != structs.VolumeTypeHost {
			continue
		}
		need := volumeNeed{req: v, writable: !v.ReadOnly && mountedWritable(tg, v.Name)}
		if v.PerAlloc {
			g.allocVolumes = append(g.allocVolumes, need)
		} else {
			g.classVolumes = append(g.classVolumes, need)
		}
	}
}

// mountedWritable reports whether any task mounts the volume without
// read_only.
func mountedWritable(tg *structs.TaskGroup, label string) bool {
	for _, t := range tg.Tasks {
		for _, m := range t.VolumeMounts {
			if m != nil && m.Volume == label && !m.ReadOnly {
				return true
			}
		}
	}
	return false
}

// volumesMissing returns why the node cannot give the allocation with the
// given index its host volumes, or "".
func volumesMissing(n *structs.Node, needs []volumeNeed, index int) string {
	for _, need := range needs {
		name := need.req.SourceFor(index)
		hv := n.HostVolumes[name]
		if hv == nil {
			return structs.MissingHostVolumeReason(name)
		}
		if need.writable && hv.ReadOnly {
			return fmt.Sprintf("host volume %q is read-only", name)
		}
	}
	return ""
}

// perAlloc reports whether feasibility depends on the allocation's index,
// so that one failed placement says nothing about the next.
func (g *groupChecker) perAlloc() bool { return len(g.allocVolumes) > 0 }

// stickyNode returns the previous allocation's node when the group's
// ephemeral_disk is sticky (or migrate), the job update replaces the
// allocation (a rescheduled failure looks elsewhere, as in Nomad) and that
// node can still run the replacement,
// so that the client can hand the alloc/data directory over. Otherwise it
// returns nil and the usual search runs.
func (p *placer) stickyNode(req placeRequest, gc *groupChecker, need *structs.Resources, metric *structs.AllocMetric) (*nodeEntry, error) {
	if req.previous == nil || !req.stopPrevious || !req.group.EphemeralDisk.KeepsData() {
		return nil, nil
	}
	e := p.entry(req.previous.NodeID)
	if e == nil || p.infeasible(gc, e) != "" {
		return nil, nil
	}
	if err := p.loadUsage(e); err != nil {
		return nil, err
	}
	if exhausted(&e.avail, &e.used, need) != "" || !gc.ports.fits(e.ports) {
		return nil, nil
	}
	metric.NodesEvaluated++
	metric.Score = gc.scorer.score(p.cc, e, binPackScore(&e.avail, &e.used, need))
	return e, nil
}
