package stream

import (
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// FromChanges turns one write's changes into events. Tables that are not
// part of a topic (indexes, summaries, periodic launches) are skipped.
func FromChanges(index uint64, changes memdb.Changes) []*Event {
	var out []*Event
	for _, ch := range changes {
		if ev := fromChange(index, ch); ev != nil {
			out = append(out, ev)
		}
	}
	return out
}

func fromChange(index uint64, ch memdb.Change) *Event {
	obj, deleted := ch.After, ch.Deleted()
	if deleted {
		obj = ch.Before
	}
	switch ch.Table {
	case state.TableJobs:
		j := obj.(*structs.Job)
		typ := "JobRegistered"
		switch {
		case deleted:
			typ = "JobPurged"
		case j.Stop:
			typ = "JobDeregistered"
		}
		return &Event{Topic: TopicJob, Type: typ, Key: j.ID, Namespace: j.Namespace, Index: index, Payload: j}
	case state.TableAllocs:
		a := obj.(*structs.Allocation)
		return &Event{Topic: TopicAllocation, Type: pick(deleted, "AllocationDeleted", "AllocationUpdated"),
			Key: a.ID, Namespace: a.Namespace, Index: index, Payload: a, FilterKeys: []string{a.JobID}}
	case state.TableEvals:
		e := obj.(*structs.Evaluation)
		return &Event{Topic: TopicEvaluation, Type: pick(deleted, "EvaluationDeleted", "EvaluationUpdated"),
			Key: e.ID, Namespace: e.Namespace, Index: index, Payload: e, FilterKeys: []string{e.JobID}}
	case state.TableNodes:
		n := obj.(*structs.Node)
		return &Event{Topic: TopicNode, Type: pick(deleted, "NodeDeregistered", "NodeUpdated"),
			Key: n.ID, Index: index, Payload: n.Sanitize(), FilterKeys: []string{n.Name}}
	case state.TableJobVersions:
		return rolloutEvent(index, ch)
	case state.TableACLTokens:
		t := obj.(*structs.ACLToken)
		// Never the secret or its hash: who and what only.
		payload := map[string]any{"accessor_id": t.AccessorID, "name": t.Name, "type": t.Type,
			"policies": t.Policies, "roles": t.Roles}
		return &Event{Topic: TopicACL, Type: pick(deleted, "ACLTokenDeleted", "ACLTokenUpserted"),
			Key: t.AccessorID, Index: index, Payload: payload}
	case state.TableACLPolicies:
		p := obj.(*structs.ACLPolicy)
		return &Event{Topic: TopicACL, Type: pick(deleted, "ACLPolicyDeleted", "ACLPolicyUpserted"),
			Key: p.Name, Index: index, Payload: map[string]any{"name": p.Name, "description": p.Description}}
	case state.TableServices:
		r := obj.(*structs.ServiceRegistration)
		return &Event{Topic: TopicService, Type: pick(deleted, "ServiceDeregistered", "ServiceRegistered"),
			Key: r.ServiceName, Namespace: r.Namespace, Index: index, Payload: r, FilterKeys: []string{r.ID, r.JobID}}
	case state.TableACLRoles:
		r := obj.(*structs.ACLRole)
		return &Event{Topic: TopicACL, Type: pick(deleted, "ACLRoleDeleted", "ACLRoleUpserted"),
			Key: r.ID, Index: index, Payload: r, FilterKeys: []string{r.Name}}
	}
	return nil
}

// rolloutEvent reports a job version marked stable, failed or promoted
// (the only in-place changes of a stored job version).
func rolloutEvent(index uint64, ch memdb.Change) *Event {
	if ch.Before == nil || ch.After == nil {
		return nil
	}
	before, after := ch.Before.(*structs.Job), ch.After.(*structs.Job)
	typ := ""
	switch {
	case after.UpdateFailure != "" && after.UpdateFailure != before.UpdateFailure:
		typ = "RolloutFailed"
	case after.Stable && !before.Stable:
		typ = "RolloutStable"
	case after.Promoted && !before.Promoted:
		typ = "RolloutPromoted"
	default:
		return nil
	}
	payload := map[string]any{"job_id": after.ID, "namespace": after.Namespace, "version": after.Version,
		"stable": after.Stable, "update_failure": after.UpdateFailure, "promoted": after.Promoted}
	return &Event{Topic: TopicRollout, Type: typ, Key: after.ID, Namespace: after.Namespace, Index: index, Payload: payload}
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}
