package allocrunner

import (
	"context"
	"fmt"
	"io"
)

// Task event types of ephemeral_disk migrate across nodes.
const (
	TaskEventMigrated      = "Migrated Data"
	TaskEventMigrateFailed = "Migrate Failed"
)

// fetchPreviousData copies the previous allocation's alloc/data and
// local/ directories from its node, through the servers, before the tasks
// start. The wait is bounded by prevDataWait (the previous node serves the
// data once its allocation stopped) and ends with a kill of this one. A
// failure is a task event on every task, and the tasks start with empty
// directories, as Nomad does.
func (ar *AllocRunner) fetchPreviousData(prev *PreviousAlloc) {
	ctx, cancel := context.WithTimeout(context.Background(), prevDataWait)
	defer cancel()
	go func() {
		select {
		case <-ar.killedCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(prev.Fetch(ctx, pw)) }()
	names := make([]string, 0, len(ar.tasks))
	for _, tr := range ar.tasks {
		names = append(names, tr.TaskName())
	}
	n, err := ar.allocDir.ExtractData(pr, names, prev.Limit)
	// Ends the fetch too if the extraction stopped first.
	pr.CloseWithError(fmt.Errorf("extraction ended"))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("no data within %s: %w", prevDataWait, err)
		}
		msg := fmt.Sprintf("could not copy the previous allocation %s's data from its node; starting without it: %v", shortID(prev.ID), err)
		ar.logger.Warn("ephemeral_disk migrate failed", "previous_alloc", prev.ID, "error", err)
		ar.emitAll(TaskEventMigrateFailed, msg)
		return
	}
	ar.logger.Info("copied the previous allocation's data from its node", "previous_alloc", prev.ID, "bytes", n)
	ar.emitAll(TaskEventMigrated, fmt.Sprintf("copied %d bytes of the previous allocation %s's data from its node", n, shortID(prev.ID)))
}

func (ar *AllocRunner) emitAll(typ, msg string) {
	for _, tr := range ar.tasks {
		tr.Emit(typ, msg)
	}
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
