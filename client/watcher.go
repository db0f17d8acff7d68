package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// allocWatchWait is how long one blocking query for the node's allocations
// may wait for a change.
const allocWatchWait = 5 * time.Minute

// jobKey identifies one version of a job.
type jobKey struct {
	namespace, id string
	version       uint64
}

// watchAllocs holds a blocking query for this node's allocations and
// applies every answer. The next query goes out as soon as an answer is
// handled: a new allocation reaches its runner without any poll delay.
func (c *Client) watchAllocs() {
	defer c.wg.Done()
	select {
	case <-c.registered:
	case <-c.ctx.Done():
		return
	}
	b := newBackoff(retryMin, retryMax)
	var index uint64
	for {
		req := &structs.NodeSpecificRequest{
			NodeID:       c.nodeID,
			SecretID:     c.secretID,
			QueryOptions: structs.QueryOptions{MinQueryIndex: index, MaxQueryTime: allocWatchWait},
		}
		var resp structs.NodeClientAllocsResponse
		err := c.rpc(c.ctx, structs.NodeGetClientAllocs, req, &resp)
		if c.ctx.Err() != nil {
			return
		}
		if err == nil && resp.Index == index && index > 0 {
			continue // the wait timed out: nothing changed
		}
		if err == nil {
			if resp.Index < index {
				c.logger.Info("allocation index went backwards; resyncing", "old", index, "new", resp.Index)
			}
			err = c.syncAllocs(resp.Allocs, resp.Full)
		}
		if err != nil {
			// The index is not advanced, so the next query answers at
			// once and the sync is retried after the back-off.
			d := b.next()
			c.logger.Warn("cannot sync allocations; retrying", "error", err, "retry_in", d)
			if !ctxsleep.Sleep(c.ctx, d) {
				return
			}
			continue
		}
		b.reset()
		index = resp.Index
	}
}

// syncAllocs makes the runners match the servers' answer: with a full
// list, destroy runners of allocations no longer listed; then fetch the
// allocations whose modify index moved and start or update their runners.
// An answer that is not full lists only changes, so nothing is dropped.
func (c *Client) syncAllocs(allocs map[string]uint64, full bool) error {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if full {
		c.removeStale(allocs)
		// Before anything new is fetched: a job registered again under
		// the ID of a collected one may reuse its version numbers.
		c.pruneJobs()
	}
	var want []string
	for id, modifyIndex := range allocs {
		if c.needsFetch(id, modifyIndex) {
			want = append(want, id)
		}
	}
	var errs []error
	for len(want) > 0 {
		n := min(len(want), structs.MaxAllocsPerFetch)
		asked := want[:n]
		fetched, err := c.fetchAllocs(asked)
		want = want[n:]
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := missingFromFetch(asked, fetched); err != nil {
			errs = append(errs, err)
		}
		for _, alloc := range fetched {
			if listed := allocs[alloc.ID]; alloc.AllocModifyIndex < listed {
				// A server behind the one that listed it answered: applying
				// this version and advancing the index would never fetch
				// the listed one (a stop, say). Retry instead.
				errs = append(errs, fmt.Errorf("allocation %s: fetched version %d is older than the listed %d",
					structs.ShortID(alloc.ID), alloc.AllocModifyIndex, listed))
				continue
			}
			if err := c.applyAlloc(alloc); err != nil {
				errs = append(errs, fmt.Errorf("allocation %s: %w", structs.ShortID(alloc.ID), err))
			}
		}
	}
	c.pruneJobs()
	return errors.Join(errs...)
}

// missingFromFetch reports listed allocations that the fetch did not
// return. The answering server may be behind the one that listed them (a
// leader change between the two calls): advancing the index now would
// lose them for good, since later answers list only newer changes. The
// retry re-reads the list from the old index; an allocation really
// collected meanwhile makes that answer full and unlisted, so the retry
// ends.
func missingFromFetch(asked []string, fetched []*structs.Allocation) error {
	if len(fetched) == len(asked) {
		return nil
	}
	got := make(map[string]bool, len(fetched))
	for _, a := range fetched {
		got[a.ID] = true
	}
	var missing []string
	for _, id := range asked {
		if !got[id] {
			missing = append(missing, structs.ShortID(id))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%d listed allocation(s) not found by the answering server, which may be behind (%s)",
		len(missing), strings.Join(missing[:min(len(missing), 5)], ", "))
}

// fetchAllocs reads a batch of allocations in one call; ones gone
// meanwhile, or not yet known to the answering server, are missing from
// the answer (see missingFromFetch).
func (c *Client) fetchAllocs(ids []string) ([]*structs.Allocation, error) {
	var resp structs.AllocsGetResponse
	if err := c.rpc(c.ctx, structs.AllocGetAllocsRPC, &structs.AllocsGetRequest{AllocIDs: ids}, &resp); err != nil {
		return nil, fmt.Errorf("get %d allocation(s): %w", len(ids), err)
	}
	return resp.Allocs, nil
}

// removeStale destroys the runners of allocations the servers dropped from
// this node. Destroying waits for the tasks to die, so it runs in the
// background (tracked by runnerWG) to keep the watcher responsive.
func (c *Client) removeStale(allocs map[string]uint64) {
	var stale []*allocrunner.AllocRunner
	c.allocMu.Lock()
	for id, ar := range c.allocs {
		if _, ok := allocs[id]; !ok {
			delete(c.allocs, id)
			stale = append(stale, ar)
		}
	}
	c.allocMu.Unlock()
	for id := range c.ignored {
		if _, ok := allocs[id]; !ok {
			delete(c.ignored, id)
			delete(c.collected, id)
		}
	}
	for _, ar := range stale {
		delete(c.allocJobs, ar.ID())
		c.logger.Debug("destroying allocation no longer assigned", "alloc_id", ar.ID())
		c.runnerWG.Add(1)
		go func() {
			defer c.runnerWG.Done()
			c.destroyAndRemove(ar)
		}()
	}
}

func (c *Client) needsFetch(id string, modifyIndex uint64) bool {
	if ar := c.runner(id); ar != nil {
		return ar.AllocModifyIndex() < modifyIndex
	}
	seen, ok := c.ignored[id]
	return !ok || seen < modifyIndex
}

func (c *Client) runner(id string) *allocrunner.AllocRunner {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	return c.allocs[id]
}

// applyAlloc starts or updates the runner of a fetched allocation.
func (c *Client) applyAlloc(alloc *structs.Allocation) error {
	id := alloc.ID
	if ar := c.runner(id); ar != nil {
		ar.Update(alloc)
		return nil
	}
	if alloc.TerminalStatus() || c.collected[id] {
		// Stopped or finished before this client ran it, or finished and
		// collected here already: nothing to do.
		c.ignored[id] = alloc.AllocModifyIndex
		return nil
	}
	return c.startRunner(alloc)
}

// startRunner creates and runs the runner of a new allocation. Errors that
// retrying cannot fix fail the allocation instead of being retried.
func (c *Client) startRunner(alloc *structs.Allocation) error {
	job, err := c.jobVersion(alloc)
	if err != nil && !structs.IsNotFound(err) {
		return err
	}
	var ar *allocrunner.AllocRunner
	if err == nil {
		ar, err = c.newAllocRunner(alloc, job, nil)
	}
	if err != nil {
		c.logger.Error("cannot run allocation", "alloc_id", alloc.ID, "error", err)
		c.ignored[alloc.ID] = alloc.AllocModifyIndex
		c.updater.put(&structs.AllocStatusUpdate{
			ID:                alloc.ID,
			ClientStatus:      structs.AllocClientFailed,
			ClientDescription: err.Error(),
			ModifyTime:        time.Now().UnixNano(),
		})
		return nil
	}
	c.runAllocRunner(ar, jobKey{alloc.Namespace, alloc.JobID, alloc.JobVersion})
	return nil
}

// jobVersion returns the job version an allocation references, from the
// cache when possible: all allocations of a job version share one fetch.
func (c *Client) jobVersion(alloc *structs.Allocation) (*structs.Job, error) {
	key := jobKey{alloc.Namespace, alloc.JobID, alloc.JobVersion}
	if job, ok := c.jobs[key]; ok {
		return job, nil
	}
	req := &structs.JobSpecificRequest{
		JobID:        alloc.JobID,
		Version:      alloc.JobVersion,
		QueryOptions: structs.QueryOptions{Namespace: alloc.Namespace},
	}
	var resp structs.SingleJobResponse
	if err := c.rpc(c.ctx, structs.JobGetVersionRPC, req, &resp); err != nil {
		return nil, fmt.Errorf("get job %q version %d: %w", alloc.JobID, alloc.JobVersion, err)
	}
	if resp.Job == nil {
		return nil, fmt.Errorf("job %q version %d: %w", alloc.JobID, alloc.JobVersion, structs.ErrNotFound)
	}
	c.jobs[key] = resp.Job
	return resp.Job, nil
}

// pruneJobs drops cached job versions no running allocation references.
func (c *Client) pruneJobs() {
	used := make(map[jobKey]bool, len(c.allocJobs))
	for _, k := range c.allocJobs {
		used[k] = true
	}
	for k := range c.jobs {
		if !used[k] {
			delete(c.jobs, k)
		}
	}
}
