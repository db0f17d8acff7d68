package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// PreviousAlloc is the allocation a new one replaces on this client, when
// the group's ephemeral_disk asks for its data (sticky or migrate): the
// previous allocation's alloc/data directory moves into the new one before
// the new tasks start, once the previous allocation's tasks are dead (a
// running task could still be writing).
type PreviousAlloc struct {
	ID string
	// SharedDir is the previous allocation's alloc/ directory.
	SharedDir string
	// Done is closed when the previous allocation's runner has finished;
	// nil when no runner of it is left on this client.
	Done <-chan struct{}
	// Fetch, for a previous allocation on another node, streams its data
	// (allocdir.WriteData) to w; SharedDir and Done are unset then.
	// Limit bounds the bytes taken.
	Fetch func(ctx context.Context, w io.Writer) error
	Limit int64
}

// DataDirName is the directory under alloc/ that follows a replacement.
const DataDirName = "data"

// prevDataWait bounds the wait for the previous allocation to stop. A
// replacement made by an update is placed together with the previous
// allocation's stop, so its tasks end within their kill timeout; the bound
// only guards against a previous allocation that was never stopped.
var prevDataWait = 2 * time.Minute

// takePreviousData waits for the previous allocation to stop, then moves
// its alloc/data over this allocation's (empty) one. A kill of this
// allocation ends the wait. Failures are logged: the tasks still start,
// with an empty data directory, as on a node the data cannot reach.
func (ar *AllocRunner) takePreviousData() {
	prev := ar.previous
	if prev == nil {
		return
	}
	if prev.Fetch != nil {
		ar.fetchPreviousData(prev)
		return
	}
	if prev.Done != nil {
		wait := time.NewTimer(prevDataWait)
		defer wait.Stop()
		select {
		case <-prev.Done:
		case <-ar.killedCh:
			return
		case <-wait.C:
			// The previous allocation still runs (it was not stopped for
			// this one, e.g. a canary): starting without its data beats
			// waiting for ever.
			ar.logger.Warn("the previous allocation is still running: starting without its data", "previous_alloc", prev.ID, "waited", prevDataWait)
			return
		}
	}
	if err := moveData(filepath.Join(prev.SharedDir, DataDirName), filepath.Join(ar.allocDir.SharedDir, DataDirName)); err != nil {
		ar.logger.Warn("could not take over the previous allocation's data", "previous_alloc", prev.ID, "error", err)
		return
	}
	// Each task's local/ follows too, as in Nomad.
	prevDir := filepath.Dir(prev.SharedDir)
	for _, tr := range ar.tasks {
		name := tr.TaskName()
		// The task's directory is built later; local/ needs its parent now.
		if err := os.MkdirAll(ar.allocDir.TaskDir(name), 0o755); err != nil {
			ar.logger.Warn("could not create the task directory", "task", name, "error", err)
			continue
		}
		if err := moveData(filepath.Join(prevDir, name, "local"), filepath.Join(ar.allocDir.TaskDir(name), "local")); err != nil {
			ar.logger.Warn("could not take over the previous allocation's task directory", "previous_alloc", prev.ID, "task", name, "error", err)
		}
	}
	ar.logger.Info("took over the previous allocation's data directory", "previous_alloc", prev.ID)
}

// moveData renames src to dst, replacing dst when it is an empty
// directory. A missing src (the previous allocation wrote nothing, or its
// directory was collected) is not an error.
func moveData(src, dst string) error {
	if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the new data directory %s is not empty: %w", dst, err)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("move %s to %s: %w", src, dst, err)
	}
	return nil
}
