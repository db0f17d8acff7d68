package server

import (
	"sync"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// BlockedEvals holds the evaluations of jobs that could not be fully placed,
// one per job, and hands them back to the broker when capacity changes (a
// node joins or becomes ready, an allocation ends). Leader only.
type BlockedEvals struct {
	logger hclog.Logger
	broker *EvalBroker

	mu      sync.Mutex
	enabled bool
	byJob   map[jobKey]*structs.Evaluation
	// capacityIndex is the Raft index of the latest capacity change; a
	// blocked eval planned from an older snapshot is retried at once.
	capacityIndex uint64
	// superseded are blocked evals replaced by newer ones; the leader marks
	// them canceled in the state store.
	superseded []*structs.Evaluation
}

// NewBlockedEvals returns a disabled tracker feeding broker.
func NewBlockedEvals(logger hclog.Logger, broker *EvalBroker) *BlockedEvals {
	return &BlockedEvals{logger: logger.Named("blocked_evals"), broker: broker, byJob: map[jobKey]*structs.Evaluation{}}
}

// SetEnabled turns tracking on (leader) or off, dropping what is held.
func (b *BlockedEvals) SetEnabled(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = on
	b.byJob = map[jobKey]*structs.Evaluation{}
	b.superseded = nil
	b.capacityIndex = 0
}

// Block tracks a blocked evaluation.
func (b *BlockedEvals) Block(eval *structs.Evaluation) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	key := jobKey{eval.Namespace, eval.JobID}
	if old, ok := b.byJob[key]; ok {
		if old.ID == eval.ID {
			b.mu.Unlock()
			return
		}
		b.superseded = append(b.superseded, old)
	}
	if eval.SnapshotIndex < b.capacityIndex {
		// Capacity changed after the scheduler looked: try again now.
		delete(b.byJob, key)
		b.mu.Unlock()
		b.broker.EnqueueUnblocked(eval)
		return
	}
	b.byJob[key] = eval
	b.mu.Unlock()
}

// Untrack drops a job's blocked evaluation because a newer evaluation of the
// job will decide again; the dropped one is canceled.
func (b *BlockedEvals) Untrack(namespace, jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := jobKey{namespace, jobID}
	if old, ok := b.byJob[key]; ok {
		delete(b.byJob, key)
		b.superseded = append(b.superseded, old)
	}
}

// Unblock hands every blocked evaluation to the broker after a capacity
// change at index.
func (b *BlockedEvals) Unblock(index uint64) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	if index > b.capacityIndex {
		b.capacityIndex = index
	}
	evals := make([]*structs.Evaluation, 0, len(b.byJob))
	for key, e := range b.byJob {
		evals = append(evals, e)
		delete(b.byJob, key)
	}
	b.mu.Unlock()
	for _, e := range evals {
		b.broker.EnqueueUnblocked(e)
	}
}

// TakeSuperseded returns and forgets the evaluations to cancel.
func (b *BlockedEvals) TakeSuperseded() []*structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.superseded
	b.superseded = nil
	return out
}

// Len is the number of blocked evaluations held.
func (b *BlockedEvals) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byJob)
}
