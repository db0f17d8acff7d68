package client

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/client/allocrunner"
)

// Client garbage collection defaults (Nomad's).
const (
	DefaultGCInterval           = time.Minute
	DefaultGCDiskUsageThreshold = 80.0
	DefaultGCMaxAllocs          = 50
)

// GCConfig tunes when the client removes the directories (task working
// directories and logs) of finished allocations. An allocation the
// servers collected is removed at once; a finished one the servers still
// list is removed, oldest first, when the node holds more than MaxAllocs
// allocations or its disk is fuller than DiskUsageThreshold.
type GCConfig struct {
	Interval time.Duration
	// DiskUsageThreshold is a percentage of the data dir's file system.
	DiskUsageThreshold float64
	MaxAllocs          int
	// DiskUsage reports how full (percent) the file system holding dir is;
	// nil uses statfs. Tests inject it: a full disk cannot be caused safely.
	DiskUsage func(dir string) (float64, error)
}

func (g GCConfig) withDefaults() GCConfig {
	if g.Interval <= 0 {
		g.Interval = DefaultGCInterval
	}
	if g.DiskUsageThreshold <= 0 {
		g.DiskUsageThreshold = DefaultGCDiskUsageThreshold
	}
	if g.MaxAllocs <= 0 {
		g.MaxAllocs = DefaultGCMaxAllocs
	}
	if g.DiskUsage == nil {
		g.DiskUsage = statfsUsage
	}
	return g
}

// statfsUsage is the used share of the file system holding dir, as df
// counts it (blocks reserved for root count as free for nobody).
func statfsUsage(dir string) (float64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("disk usage of %s: %w", dir, err)
	}
	used := float64(st.Blocks - st.Bfree)
	avail := float64(st.Bavail)
	if used+avail == 0 {
		return 0, nil
	}
	return 100 * used / (used + avail), nil
}

// gcLoop runs the periodic collection until the client shuts down.
func (c *Client) gcLoop() {
	defer c.wg.Done()
	cfg := c.cfg.GC.withDefaults()
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		c.collectFinished(cfg)
	}
}

// collectFinished removes finished allocations, oldest first, while the
// node holds more than MaxAllocs or its disk is too full. Allocations
// that still run are never touched.
func (c *Client) collectFinished(cfg GCConfig) {
	done, total := c.finishedRunners()
	for _, ar := range done {
		reason := ""
		if total > cfg.MaxAllocs {
			reason = fmt.Sprintf("more than %d allocations on this node", cfg.MaxAllocs)
		} else {
			used, err := cfg.DiskUsage(c.cfg.DataDir)
			if err != nil {
				c.logger.Warn("cannot check disk usage for garbage collection", "error", err)
				return
			}
			if used < cfg.DiskUsageThreshold {
				return
			}
			reason = fmt.Sprintf("disk %.0f%% full (threshold %.0f%%)", used, cfg.DiskUsageThreshold)
		}
		c.logger.Debug("collecting finished allocation", "alloc_id", ar.ID(), "reason", reason)
		c.collectListed(ar)
		total--
	}
}

// finishedRunners returns the runners whose tasks are all dead, oldest
// finish first, and the number of runners.
func (c *Client) finishedRunners() ([]*allocrunner.AllocRunner, int) {
	type aged struct {
		ar       *allocrunner.AllocRunner
		finished int64
	}
	c.allocMu.RLock()
	total := len(c.allocs)
	var done []aged
	for _, ar := range c.allocs {
		select {
		case <-ar.WaitCh():
			done = append(done, aged{ar: ar})
		default:
		}
	}
	c.allocMu.RUnlock()
	for i := range done {
		for _, ts := range done[i].ar.Alloc().TaskStates {
			done[i].finished = max(done[i].finished, ts.FinishedAt)
		}
	}
	sort.Slice(done, func(i, j int) bool {
		if done[i].finished != done[j].finished {
			return done[i].finished < done[j].finished
		}
		return done[i].ar.ID() < done[j].ar.ID()
	})
	out := make([]*allocrunner.AllocRunner, len(done))
	for i, d := range done {
		out[i] = d.ar
	}
	return out, total
}

// collectListed removes a finished allocation the servers still list.
// It is remembered as collected, so that a later answer about it (its
// status report in flight, a stop) never starts it again.
func (c *Client) collectListed(ar *allocrunner.AllocRunner) {
	c.watchMu.Lock()
	c.allocMu.Lock()
	if c.allocs[ar.ID()] != ar {
		c.allocMu.Unlock()
		c.watchMu.Unlock()
		return // the watcher dropped it meanwhile
	}
	delete(c.allocs, ar.ID())
	c.allocMu.Unlock()
	c.ignored[ar.ID()] = ar.AllocModifyIndex()
	c.collected[ar.ID()] = true
	delete(c.allocJobs, ar.ID())
	c.pruneJobs()
	c.watchMu.Unlock()
	c.destroyAndRemove(ar)
}

// destroyAndRemove stops a runner for good (waiting for its tasks), then
// forgets the allocation in the state database and removes its directory,
// in that order: a crash in between leaves a directory without a record,
// which the next start removes (sweepAllocDirs), never a record without
// its directory.
func (c *Client) destroyAndRemove(ar *allocrunner.AllocRunner) {
	ar.Destroy()
	c.forgetAlloc(ar.ID())
	c.removeAllocDir(ar.AllocDir().Dir, ar.ID())
}

func (c *Client) removeAllocDir(dir, id string) {
	if err := os.RemoveAll(dir); err != nil {
		c.logger.Warn("cannot remove allocation directory", "alloc_id", id, "dir", dir, "error", err)
	}
}

// sweepAllocDirs removes allocation directories that no restored runner
// owns: left by an allocation forgotten before its directory was removed
// (a crash, or a dev agent that killed its tasks on shutdown).
func (c *Client) sweepAllocDirs() {
	root := allocdir.AllocsRoot(c.cfg.DataDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		if !os.IsNotExist(err) {
			c.logger.Warn("cannot list allocation directories", "dir", root, "error", err)
		}
		return
	}
	for _, e := range entries {
		if !e.IsDir() || c.runner(e.Name()) != nil {
			continue
		}
		c.logger.Debug("removing allocation directory without an allocation", "alloc_id", e.Name())
		c.removeAllocDir(filepath.Join(root, e.Name()), e.Name())
	}
}
