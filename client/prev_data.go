package client

import (
	"os"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/structs"
)

// previousData finds the allocation a new one replaces, when the group's
// ephemeral_disk wants its data and it ran on this client: its runner (to
// wait for) or at least its directory. The scheduler puts a sticky
// replacement on the same node when it can; with migrate, data on another
// node is fetched from there (alloc_data.go).
func (c *Client) previousData(alloc *structs.Allocation, job *structs.Job) *allocrunner.PreviousAlloc {
	if alloc.PreviousAllocation == "" || job == nil {
		return nil
	}
	tg := job.LookupGroup(alloc.TaskGroup)
	if tg == nil || !tg.EphemeralDisk.KeepsData() {
		return nil
	}
	if ar := c.runner(alloc.PreviousAllocation); ar != nil {
		return &allocrunner.PreviousAlloc{ID: ar.ID(), SharedDir: ar.AllocDir().SharedDir, Done: ar.WaitCh()}
	}
	dir, err := allocdir.New(c.cfg.DataDir, alloc.PreviousAllocation)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(dir.SharedDir); err != nil {
		if tg.EphemeralDisk.Migrate {
			return c.remotePrevious(alloc, tg)
		}
		return nil
	}
	return &allocrunner.PreviousAlloc{ID: alloc.PreviousAllocation, SharedDir: dir.SharedDir}
}
