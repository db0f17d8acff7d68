package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// MetaConsulEpoch records, on a job from Consul KV, the epoch of the
// Consul data it was read from (see consulTasksEpoch).
const MetaConsulEpoch = "appmesh_consul_epoch"

// consulEpochKey is the marker that tells a Consul whose KV the leader has
// read before from one that lost its data (a dev agent restarted, a
// restore, another cluster at the same address). It sits beside the tasks
// prefix, not under it, so it is never taken for a task.
func consulEpochKey(kvPrefix string) string { return kvPrefix + "/cluster/tasks-epoch" }

// consulTasksEpoch returns the epoch stored in Consul, creating one when
// there is none. ok is false when the marker cannot be read or written:
// the listing of that round may then not be what Consul holds (a token
// without read rights sees an empty prefix) and no job may be stopped.
func (s *Server) consulTasksEpoch(kv *api.KV) (epoch string, ok bool, err error) {
	key := consulEpochKey(s.config.Consul.KVPrefix)
	p, _, err := kv.Get(key, &api.QueryOptions{RequireConsistent: true})
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", key, err)
	}
	if p != nil && len(p.Value) > 0 {
		return string(p.Value), true, nil
	}
	// No marker: a Consul never used for tasks, or one that lost its
	// data. Jobs of an earlier epoch are kept until their keys come back
	// (and re-register them) or an operator stops them.
	epoch = structs.GenerateID()
	won, _, err := kv.CAS(&api.KVPair{Key: key, Value: []byte(epoch), ModifyIndex: 0}, nil)
	if err != nil {
		return "", false, fmt.Errorf("write %s: %w", key, err)
	}
	if !won {
		return "", false, fmt.Errorf("write %s: another writer created it first; reading it next round", key)
	}
	return epoch, true, nil
}

// stopDeletedConsulJobs stops the Consul-sourced jobs whose keys were
// deleted. "Deleted" must be told from "could not read": a job is stopped
// only when the listing was not filtered by ACLs, the job was read from
// the same Consul data (epoch) that the listing came from, and a
// consistent read of its own key finds it gone. Anything else keeps the
// job running and is logged.
func (s *Server) stopDeletedConsulJobs(logger hclog.Logger, kv *api.KV, want map[string]bool, epoch string, meta *api.QueryMeta) {
	jobs, err := s.State().Jobs(nil)
	if err != nil {
		logger.Error("list jobs", "error", err)
		return
	}
	for _, j := range jobs {
		if j.Meta[MetaConsulSource] != "consul" || want[j.ID] || j.Stop {
			continue
		}
		switch {
		case meta != nil && meta.ResultsFilteredByACLs:
			logger.Warn("consul filtered the task listing by ACLs: the token cannot read every key, so keeping the job whose key it does not see",
				"job", j.ID)
			continue
		case j.Meta[MetaConsulEpoch] != epoch:
			logger.Warn("the job's consul key is missing, but the job was read from other consul data (consul lost its state or is another cluster): keeping it; delete it with `job stop` or write its key again",
				"job", j.ID, "key", j.Meta[MetaConsulKey])
			continue
		}
		p, _, err := kv.Get(j.Meta[MetaConsulKey], &api.QueryOptions{RequireConsistent: true})
		if err != nil || p != nil {
			logger.Warn("the job's consul key is not in the listing but is not confirmed deleted: keeping the job",
				"job", j.ID, "key", j.Meta[MetaConsulKey], "error", err, "present", p != nil)
			continue
		}
		var reply structs.JobDeregisterResponse
		if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: j.ID}, &reply); err != nil {
			logger.Error("cannot stop job whose consul key was deleted", "job", j.ID, "error", err)
			continue
		}
		logger.Info("stopped job: its consul key was deleted", "job", j.ID)
	}
}
