package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// syncLoop sends pending registrations and removals to the servers, one
// call at a time, retrying with a growing delay while they cannot be
// reached, and re-sends everything every ResyncInterval.
func (r *Registrar) syncLoop() {
	defer close(r.done)
	resync := time.NewTicker(r.cfg.ResyncInterval)
	defer resync.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	delay := time.Duration(0)
	for {
		select {
		case <-r.ctx.Done():
			r.flushRemovals()
			return
		case <-r.kick:
		case <-retry.C:
		case <-resync.C:
			r.requeueAll()
		}
		if err := r.syncOnce(r.ctx); err != nil {
			delay = min(max(2*delay, 500*time.Millisecond), 30*time.Second)
			r.logger.Warn("cannot update the service catalog; will retry", "error", err, "retry_in", delay)
			retry.Reset(delay)
			continue
		}
		delay = 0
	}
}

// syncOnce sends what is pending. On failure it puts back what was not
// superseded meanwhile.
func (r *Registrar) syncOnce(ctx context.Context) error {
	r.mu.Lock()
	if len(r.pending) == 0 && len(r.deletes) == 0 {
		r.mu.Unlock()
		return nil
	}
	req := &structs.ServiceUpsertRequest{NodeID: r.cfg.NodeID, SecretID: r.cfg.SecretID}
	sent := r.pending
	for _, reg := range sent {
		req.Services = append(req.Services, reg)
	}
	for id := range r.deletes {
		req.Deletes = append(req.Deletes, id)
	}
	removed := r.deletes
	r.pending, r.deletes = map[string]*structs.ServiceRegistration{}, map[string]bool{}
	r.mu.Unlock()

	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := r.cfg.RPC(cctx, structs.ServiceUpsertRPC, req, &structs.GenericResponse{})
	if err == nil {
		return nil
	}
	if structs.IsValidation(err) {
		// Retrying cannot help; the task's events do not carry this, so
		// the log must.
		r.logger.Error("the servers refused service registrations", "error", err)
		return nil
	}
	r.mu.Lock()
	for id, reg := range sent {
		if _, newer := r.pending[id]; !newer && !r.deletes[id] && r.workloads[keyOf(reg)] != nil {
			r.pending[id] = reg
		}
	}
	for id := range removed {
		if _, back := r.pending[id]; !back {
			r.deletes[id] = true
		}
	}
	r.mu.Unlock()
	return err
}

// requeueAll marks every current registration for sending.
func (r *Registrar) requeueAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, wl := range r.workloads {
		for id, reg := range wl.regs {
			r.pending[id] = reg
		}
	}
}

// flushRemovals tries once, briefly, to send removals queued at shutdown
// (a task stopped by a shutting-down dev agent). Whatever fails the
// servers clean up when the allocations end.
func (r *Registrar) flushRemovals() {
	r.mu.Lock()
	r.pending = map[string]*structs.ServiceRegistration{}
	n := len(r.deletes)
	r.mu.Unlock()
	if n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.syncOnce(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		r.logger.Debug("service removals not sent at shutdown", "error", err)
	}
}
