package client

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/structs"
)

// removeJobTimeout bounds the Job.Deregister call of an exit action.
const removeJobTimeout = 30 * time.Second

// restoreAllocs rebuilds the runners of the allocations an earlier agent
// left in the state database and runs them: tasks still running are
// re-attached, tasks that died meanwhile are reported with what the driver
// knows. The alloc watcher then reconciles them with the servers.
func (c *Client) restoreAllocs() {
	if c.db == nil {
		return
	}
	restored, errs := c.db.Allocs()
	for _, err := range errs {
		c.logger.Error("cannot restore an allocation from the client state", "error", err)
	}
	for _, ra := range restored {
		if err := c.restoreAlloc(ra); err != nil {
			c.logger.Error("cannot restore allocation", "alloc_id", ra.Alloc.ID, "error", err)
			if err := c.db.DeleteAlloc(ra.Alloc.ID); err != nil {
				c.logger.Warn("cannot forget allocation", "alloc_id", ra.Alloc.ID, "error", err)
			}
		}
	}
	if len(restored) > 0 {
		c.logger.Info("restored allocations from the client state", "count", len(restored))
	}
	c.sweepBridge()
}

func (c *Client) restoreAlloc(ra *state.RestoredAlloc) error {
	ar, err := c.newAllocRunner(ra.Alloc, ra.Job, ra)
	if err != nil {
		return err
	}
	key := jobKey{ra.Alloc.Namespace, ra.Alloc.JobID, ra.Alloc.JobVersion}
	c.jobs[key] = ra.Job
	c.runAllocRunner(ar, key)
	if ra.Alloc.DesiredStatus == structs.AllocDesiredStop {
		// The stop reached this client before the agent went down, maybe
		// before its tasks died: the servers will not send it again (the
		// modify index is the one saved), so it is carried out here rather
		// than letting the restart policy bring the tasks back.
		ar.Kill("allocation stopped by the servers")
	}
	return nil
}

// newAllocRunner builds a runner; restore is nil for a new allocation.
func (c *Client) newAllocRunner(alloc *structs.Allocation, job *structs.Job, restore *state.RestoredAlloc) (*allocrunner.AllocRunner, error) {
	cfg := &allocrunner.Config{
		Alloc:    alloc,
		Job:      job,
		DataDir:  c.cfg.DataDir,
		Drivers:  c.taskDrivers(),
		Logger:   c.logger,
		OnUpdate: c.updater.put,
		Restore:  restore,
		OnRemove: c.removeJob,
		Services: c.cfg.Services,
		Policy:   c.taskPolicy(),
		// The node's copy: what the servers scheduled against.
		HostVolumes: c.cfg.HostVolumes,
		Node:        c.Node,
		// Tokens are signed by the servers for this node's allocations.
		SignIdentities: c.signIdentities,
	}
	if c.bridge != nil {
		cfg.Network = c.bridge
	}
	if c.db != nil {
		cfg.State = c.db
	}
	if restore == nil {
		cfg.Previous = c.previousData(alloc, job)
	}
	return allocrunner.New(cfg)
}

// runAllocRunner registers a runner and runs it in the background.
func (c *Client) runAllocRunner(ar *allocrunner.AllocRunner, key jobKey) {
	c.allocMu.Lock()
	c.allocs[ar.ID()] = ar
	c.allocMu.Unlock()
	c.allocJobs[ar.ID()] = key
	c.runnerWG.Add(1)
	go func() {
		defer c.runnerWG.Done()
		ar.Run()
	}()
}

// forgetAlloc drops a destroyed allocation from the state database.
func (c *Client) forgetAlloc(id string) {
	if c.db == nil {
		return
	}
	if err := c.db.DeleteAlloc(id); err != nil {
		c.logger.Warn("cannot remove allocation from the client state", "alloc_id", id, "error", err)
	}
}

// removeJob carries out the exit action "remove": the allocation already
// stops; here the servers are asked to stop its whole job (Job.Deregister
// without purge), so that the scheduler does not replace it.
func (c *Client) removeJob(alloc *structs.Allocation, reason string) {
	c.logger.Info("exit action remove: stopping the job", "job_id", alloc.JobID, "alloc_id", alloc.ID, "reason", reason)
	req := &structs.JobDeregisterRequest{JobID: alloc.JobID, WriteRequest: structs.WriteRequest{Namespace: alloc.Namespace}}
	var resp structs.JobDeregisterResponse
	ctx, cancel := context.WithTimeout(c.ctx, removeJobTimeout)
	defer cancel()
	if err := c.rpc(ctx, structs.JobDeregisterRPC, req, &resp); err != nil {
		c.logger.Error("exit action remove: cannot stop the job", "job_id", alloc.JobID, "error", err)
	}
}
