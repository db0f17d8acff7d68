package server

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// EvalBroker hands pending evaluations to scheduler workers, highest priority
// first, at most one evaluation per job at a time (so two workers never plan
// the same job concurrently). It lives only on the leader and is rebuilt from
// the state store when leadership is gained.
type EvalBroker struct {
	logger        hclog.Logger
	deliveryLimit int
	timing        EvalBrokerTiming // eval_broker_nack.go

	mu      sync.Mutex
	enabled bool
	ready   evalHeap
	// known holds the evaluations the broker holds (ready, waiting,
	// delayed or unacked), so that re-applied entries do not enqueue
	// twice. An evaluation leaves it when acked, failed or canceled, so it
	// stays as small as the broker's queues.
	known map[string]bool
	// inFlight is the evaluation of a job that is ready or being processed;
	// waiting holds the job's next ones.
	inFlight   map[jobKey]string
	waiting    map[jobKey][]*structs.Evaluation
	unacked    map[string]*unackedEval
	deliveries map[string]int
	wake       chan struct{}
	// delayed holds pending evaluations until their WaitUntil
	// (eval_delay.go); delayWake tells the delay loop the head changed.
	delayed   delayHeap
	delayWake chan struct{}
	// canceledDelayed are delayed evaluations a newer job version or a
	// job stop made pointless; the leader writes them as canceled.
	canceledDelayed []*structs.Evaluation
	// failed are evaluations that reached the delivery limit; the leader
	// writes them as failed with a delayed follow-up (eval_broker_nack.go).
	failed []*structs.Evaluation
}

type jobKey struct{ namespace, id string }

type unackedEval struct {
	eval  *structs.Evaluation
	token string
	// nackTimer nacks the evaluation when its worker neither acks, nacks
	// nor touches it within the nack timeout (the worker is gone or stuck).
	nackTimer *time.Timer
}

// NewEvalBroker returns a disabled broker; deliveryLimit is how many times an
// evaluation is handed out before it is failed.
func NewEvalBroker(logger hclog.Logger, deliveryLimit int) *EvalBroker {
	b := &EvalBroker{logger: logger.Named("eval_broker"), deliveryLimit: deliveryLimit, timing: DefaultEvalBrokerTiming()}
	b.resetLocked()
	return b
}

func (b *EvalBroker) resetLocked() {
	for _, u := range b.unacked {
		u.nackTimer.Stop()
	}
	b.failed = nil
	b.ready = nil
	b.known = map[string]bool{}
	b.inFlight = map[jobKey]string{}
	b.waiting = map[jobKey][]*structs.Evaluation{}
	b.unacked = map[string]*unackedEval{}
	b.deliveries = map[string]int{}
	b.delayed, b.canceledDelayed = nil, nil
	b.signalDelayLocked()
	if b.wake != nil {
		close(b.wake)
	}
	b.wake = make(chan struct{})
}

// SetEnabled turns the broker on (leader) or off (follower); turning it off
// drops everything it holds.
func (b *EvalBroker) SetEnabled(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = on
	if !on {
		b.resetLocked()
	}
}

// Enqueue adds pending evaluations; others are ignored.
func (b *EvalBroker) Enqueue(eval *structs.Evaluation) {
	if eval.Status != structs.EvalStatusPending {
		return
	}
	b.enqueue(eval, false)
}

// EnqueueUnblocked adds a blocked evaluation that capacity changes woke up.
func (b *EvalBroker) EnqueueUnblocked(eval *structs.Evaluation) { b.enqueue(eval, true) }

func (b *EvalBroker) enqueue(eval *structs.Evaluation, force bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled || (b.known[eval.ID] && !force) {
		return
	}
	b.known[eval.ID] = true
	if eval.WaitUntil > time.Now().UnixNano() {
		b.pushDelayedLocked(eval)
		return
	}
	b.admitLocked(eval)
}

// admitLocked makes an evaluation ready, or queues it behind the job's
// evaluation in flight.
func (b *EvalBroker) admitLocked(eval *structs.Evaluation) {
	key := jobKey{eval.Namespace, eval.JobID}
	if cur, busy := b.inFlight[key]; busy && cur != eval.ID {
		b.waiting[key] = append(b.waiting[key], eval)
		return
	}
	b.inFlight[key] = eval.ID
	b.pushReadyLocked(eval)
}

func (b *EvalBroker) pushReadyLocked(eval *structs.Evaluation) {
	heap.Push(&b.ready, eval)
	close(b.wake)
	b.wake = make(chan struct{})
}

// Dequeue blocks until an evaluation is ready or ctx is done. The returned
// token must be given back to Ack or Nack.
func (b *EvalBroker) Dequeue(ctx context.Context) (*structs.Evaluation, string, error) {
	for {
		b.mu.Lock()
		if b.enabled && b.ready.Len() > 0 {
			eval := heap.Pop(&b.ready).(*structs.Evaluation)
			token := structs.GenerateID()
			b.unacked[eval.ID] = &unackedEval{eval: eval, token: token, nackTimer: b.nackTimerFor(eval.ID, token)}
			b.deliveries[eval.ID]++
			b.mu.Unlock()
			return eval, token, nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-wake:
		}
	}
}

// Ack marks an evaluation done and releases the job's next one.
func (b *EvalBroker) Ack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.takeUnackedLocked(evalID, token)
	if err != nil {
		return err
	}
	delete(b.deliveries, evalID)
	delete(b.known, evalID)
	b.releaseJobLocked(jobKey{u.eval.Namespace, u.eval.JobID})
	return nil
}

// Nack returns an evaluation for another try, after a back-off (the job's
// slot stays taken meanwhile). It reports false when the delivery limit is
// reached: the evaluation is then handed to the leader, which writes it as
// failed with a delayed follow-up (TakeFailed).
func (b *EvalBroker) Nack(evalID, token string) (requeued bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.takeUnackedLocked(evalID, token)
	if err != nil {
		return false, err
	}
	if b.deliveries[evalID] >= b.deliveryLimit {
		delete(b.deliveries, evalID)
		delete(b.known, evalID)
		b.failed = append(b.failed, u.eval)
		b.releaseJobLocked(jobKey{u.eval.Namespace, u.eval.JobID})
		return false, nil
	}
	b.requeueLocked(u.eval, b.deliveries[evalID])
	return true, nil
}

func (b *EvalBroker) takeUnackedLocked(evalID, token string) (*unackedEval, error) {
	u, ok := b.unacked[evalID]
	if !ok {
		return nil, fmt.Errorf("evaluation %s is not outstanding", evalID)
	}
	if u.token != token {
		return nil, fmt.Errorf("evaluation %s: token does not match", evalID)
	}
	u.nackTimer.Stop()
	delete(b.unacked, evalID)
	return u, nil
}

func (b *EvalBroker) releaseJobLocked(key jobKey) {
	delete(b.inFlight, key)
	next := b.waiting[key]
	if len(next) == 0 {
		delete(b.waiting, key)
		return
	}
	eval := next[0]
	if len(next) == 1 {
		delete(b.waiting, key)
	} else {
		b.waiting[key] = next[1:]
	}
	b.inFlight[key] = eval.ID
	b.pushReadyLocked(eval)
}

// Stats reports queue sizes (for status and tests).
func (b *EvalBroker) Stats() (ready, unacked, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.waiting {
		waiting += len(w)
	}
	return b.ready.Len(), len(b.unacked), waiting
}

// evalHeap orders evaluations by priority (high first), then age.
type evalHeap []*structs.Evaluation

func (h evalHeap) Len() int { return len(h) }
func (h evalHeap) Less(i, j int) bool {
	if h[i].Priority != h[j].Priority {
		return h[i].Priority > h[j].Priority
	}
	return h[i].CreateIndex < h[j].CreateIndex
}
func (h evalHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evalHeap) Push(x any)   { *h = append(*h, x.(*structs.Evaluation)) }
func (h *evalHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}
