package server

import (
	"context"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// monitorLeadership starts and stops the leader's duties as Raft tells us
// about leadership changes.
func (s *Server) monitorLeadership() {
	defer s.wg.Done()
	for {
		select {
		case <-s.shutdownCtx.Done():
			return
		case isLeader := <-s.raftNotifyCh:
			if isLeader {
				s.establishUntilDone()
			} else {
				s.revokeLeadership()
			}
		case <-s.leaderRetry:
			if s.IsLeader() {
				s.establishUntilDone()
			}
		}
	}
}

// establishLeadership waits until the FSM has applied everything committed,
// then starts the broker, blocked evals, plan applier, workers and heartbeat
// timers, rebuilding their state from the store.
func (s *Server) establishLeadership() error {
	s.leaderMu.Lock()
	defer s.leaderMu.Unlock()
	if s.leaderCancel != nil {
		return nil
	}
	if err := s.raft.Barrier(raftApplyTimeout).Error(); err != nil {
		return fmt.Errorf("raft barrier: %w", err)
	}
	if err := s.establishFault(); err != nil {
		return err
	}
	s.leaderReady.Store(true)
	s.logger.Info("cluster leadership acquired")
	ctx, cancel := context.WithCancel(s.shutdownCtx)
	s.leaderCancel = cancel

	s.broker.SetEnabled(true)
	s.blocked.SetEnabled(true)
	s.planQueue.SetEnabled(true)
	s.heartbeats.setEnabled(true)
	s.fsm.SetListener(s)
	if err := s.restoreEvals(); err != nil {
		return err
	}
	if err := s.heartbeats.initialize(); err != nil {
		return err
	}
	// The mesh CA's first root is written before leadership counts as
	// established, so that anyone who sees a leader also sees a root; a
	// failure here is retried by runMeshCA rather than failing leadership.
	if err := s.ensureMeshCARoot(time.Now()); err != nil {
		s.logger.Warn("mesh CA: creating the first root failed; the leader retries", "error", err)
	}
	s.goLeader(ctx, s.planApplier)
	s.goLeader(ctx, s.reapSupersededEvals)
	s.goLeader(ctx, s.broker.runDelayed)
	s.goLeader(ctx, s.writeCanceledDelayed)
	s.goLeader(ctx, s.writeFailedEvals)
	s.goLeader(ctx, s.rollouts.run)
	s.startConsulLeader(ctx)
	s.goLeader(ctx, s.runSchedules)
	s.goLeader(ctx, s.runDrainDeadlines)
	s.goLeader(ctx, s.gcRuns)
	s.goLeader(ctx, s.reapExpiredLogins) // login_gc.go
	s.goLeader(ctx, s.runCoreGC)
	s.goLeader(ctx, s.runMeshCA) // mesh_ca.go
	for i := 0; i < s.config.NumSchedulers; i++ {
		w := &worker{srv: s, logger: s.logger.Named("worker").With("worker", i), ctx: ctx}
		s.goLeader(ctx, func(context.Context) { w.run() })
	}
	return nil
}

func (s *Server) goLeader(ctx context.Context, fn func(context.Context)) {
	s.leaderWG.Add(1)
	go func() {
		defer s.leaderWG.Done()
		fn(ctx)
	}()
}

// revokeLeadership stops every leader duty and waits for their goroutines.
func (s *Server) revokeLeadership() {
	s.leaderMu.Lock()
	defer s.leaderMu.Unlock()
	s.leaderReady.Store(false)
	if s.leaderCancel == nil {
		return
	}
	s.logger.Info("cluster leadership lost")
	s.fsm.SetListener(nil)
	s.leaderCancel()
	s.leaderCancel = nil
	s.planQueue.SetEnabled(false)
	s.broker.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.heartbeats.setEnabled(false)
	s.leaderWG.Wait()
}

// restoreEvals hands pending evaluations to the broker and blocked ones to
// the blocked tracker.
func (s *Server) restoreEvals() error {
	evals, err := s.State().Evals(nil)
	if err != nil {
		return fmt.Errorf("restore evaluations: %w", err)
	}
	for _, e := range evals {
		switch e.Status {
		case structs.EvalStatusPending:
			s.broker.Enqueue(e)
		case structs.EvalStatusBlocked:
			s.blocked.Block(e)
		}
	}
	return nil
}

// EvalsUpserted is called by the FSM (leader only) after evaluations were
// written: new pending ones go to the broker, blocked ones to the tracker.
func (s *Server) EvalsUpserted(evals []*structs.Evaluation) {
	for _, e := range evals {
		switch e.Status {
		case structs.EvalStatusPending:
			s.cancelStaleDelayedEvals(e)
			if e.WaitUntil == 0 {
				// A delayed evaluation does not run now, so it does not
				// replace the job's blocked one.
				s.blocked.Untrack(e.Namespace, e.JobID)
			}
			s.broker.Enqueue(e)
		case structs.EvalStatusBlocked:
			s.blocked.Block(e)
		case structs.EvalStatusComplete:
			// Its plan may have updated allocations in place to a new
			// version that no client report will announce.
			s.rollouts.markIfRolling(s.State(), e.Namespace, e.JobID)
		}
	}
}

// CapacityChanged is called by the FSM (leader only) when capacity may have
// appeared, so blocked evaluations get another chance.
func (s *Server) CapacityChanged(index uint64) { s.blocked.Unblock(index) }

// reapSupersededEvals marks blocked evaluations that newer ones replaced as
// canceled, so they do not linger as "blocked" in the state.
func (s *Server) reapSupersededEvals(ctx context.Context) {
	s.cancelEvalsEvery(ctx, s.blocked.TakeSuperseded, "superseded by a newer evaluation")
}

// cancelEvalsEvery writes the evaluations take hands out as canceled with
// the given description, every 200 ms until ctx ends. It runs as a leader
// goroutine because those who find such evaluations (the blocked tracker,
// the FSM listener) cannot write through Raft themselves.
func (s *Server) cancelEvalsEvery(ctx context.Context, take func() []*structs.Evaluation, desc string) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		old := take()
		if len(old) == 0 {
			continue
		}
		now := time.Now().UnixNano()
		upd := make([]*structs.Evaluation, 0, len(old))
		for _, e := range old {
			c := e.Copy()
			c.Status = structs.EvalStatusCanceled
			c.StatusDescription = desc
			c.ModifyTime = now
			upd = append(upd, c)
		}
		if _, err := s.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: upd}); err != nil {
			s.logger.Warn("cancel evaluations", "reason", desc, "count", len(upd), "error", err)
		}
	}
}
