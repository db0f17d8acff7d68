package cluster

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/e2e/faults"
)

// plantedBugCaught shows, on the real cluster, that the whole pipeline of a
// schedule (the workload's HTTP calls, their recording and the checker)
// catches the bug it exists for: a server that answers a read from its own
// state while it is cut off from the leader. It isolates a follower,
// registers a new version of a job through the leader, then reads the job
// through the isolated follower with ?stale but records that read as a
// linearizable one (the planted bug). The history must be illegal. The same
// read without ?stale, which the agent forwards to the leader, is the
// control: it must fail or see the new version, and its history must pass.
// The unit tests of e2e/faults plant bugs in made-up histories; this one
// plants it in what the cluster really answered.
func (w *workload) plantedBugCaught(seed uint64) error {
	leader, err := w.oneLeader()
	if err != nil {
		return fmt.Errorf("no single leader to start from: %v", err)
	}
	var cut *dockerAgent
	var rest []*dockerAgent
	for _, a := range append(append([]*dockerAgent{}, w.d.servers...), w.d.clients...) {
		if cut == nil && !a.client && a != leader {
			cut = a
			continue
		}
		rest = append(rest, a)
	}
	key := w.keys[0]
	// The schedule's own history goes first: the model starts from no
	// jobs, so the state the cluster is in must be explained by it.
	rec := w.rec
	call := func(via *dockerAgent, in faults.Input) faults.Call {
		c := faults.Call{Agent: via.name, In: in, Start: rec.Now()}
		out, err := w.do(via, in, 1)
		c.End, c.Out = rec.Now(), out
		if err != nil {
			c.Out.Unknown, c.Err = true, err.Error()
		}
		return c
	}
	before := call(leader, faults.Input{Kind: faults.Read, Key: key})
	if before.Out.Unknown {
		return fmt.Errorf("read of %s through the leader %s: %s", key, leader.name, before.Err)
	}
	rec.Add(before)

	nem := newNemesis(w.d, seed, func(string, ...any) {})
	if err := nem.cutGroups([]*dockerAgent{cut}, rest); err != nil {
		return fmt.Errorf("isolate %s: %v", cut.name, err)
	}
	defer nem.heal()

	v := int(w.version.Add(1))
	reg := call(leader, faults.Input{Kind: faults.Register, Key: key, V: v})
	if reg.Out.Unknown {
		return fmt.Errorf("register v%d of %s through the leader %s with %s cut off: %s", v, key, leader.name, cut.name, reg.Err)
	}
	rec.Add(reg)

	control := call(cut, faults.Input{Kind: faults.Read, Key: key})
	planted := call(cut, faults.Input{Kind: faults.StaleRead, Key: key})
	planted.In.Kind = faults.Read // the bug: the local answer passed off as linearizable
	if planted.Out.Unknown {
		return fmt.Errorf("?stale read of %s through the isolated %s: %s", key, cut.name, planted.Err)
	}
	if planted.Out.Exists && planted.Out.V == v {
		return fmt.Errorf("the isolated %s already has v%d of %s: the partition did not hold", cut.name, v, key)
	}

	good := append(rec.Calls(), control)
	if res := faults.Check(good, time.Minute); !res.OK() {
		return fmt.Errorf("the control read through the isolated %s (answer %+v, %s) made the history illegal: %s",
			cut.name, control.Out, control.Err, res)
	}
	bad := append(rec.Calls(), planted)
	if res := faults.Check(bad, time.Minute); res.OK() {
		return fmt.Errorf("the checker passed a history in which %s, cut off, answered %+v after v%d was acknowledged: %s",
			cut.name, planted.Out.State, v, res)
	}
	return nil
}
