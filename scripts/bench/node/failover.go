package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// failoverFigure: three servers on loopback; kill -9 the leader, time until
// a surviving agent accepts a write (PUT /v1/jobs → 200), restart the killed
// server with the same data dir and ports, and again.
func (b *bench) failoverFigure(ctx context.Context) error {
	kills := 5
	if b.quick {
		kills = 2
	}
	const n = 3
	var servers []*agent
	for i := 1; i <= n; i++ {
		s, err := serverAgent(b.root, i, n)
		if err != nil {
			return err
		}
		if i > 1 {
			s.args = s.withJoin(servers[0].gossip)
		}
		servers = append(servers, s)
	}
	defer func() {
		for _, s := range servers {
			b.stopAgent(s)
		}
	}()
	for _, s := range servers {
		if err := b.startAgent(ctx, s); err != nil {
			return err
		}
	}
	var writes, leaders []time.Duration
	attempts := 0
	for k := 1; k <= kills; k++ {
		leader, err := b.waitHealthy(ctx, servers, 60*time.Second)
		if err != nil {
			return fmt.Errorf("before kill %d: %w", k, err)
		}
		// A moment for the last restarted server to catch up on the log.
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		var survivors []*agent
		for _, s := range servers {
			if s != leader {
				survivors = append(survivors, s)
			}
		}
		if err := leader.kill9(); err != nil {
			return err
		}
		killed := time.Now()
		newLeader := make(chan time.Duration, 1)
		lctx, cancelL := context.WithCancel(ctx)
		go watchNewLeader(lctx, survivors, leader.rpcAddr, killed, newLeader)
		d, tries, err := b.firstWrite(ctx, survivors, killed, k)
		attempts += tries
		if err != nil {
			cancelL()
			return fmt.Errorf("kill %d of %s: %w\n%s", k, leader.name, err, tail(survivors[0].logPath, 12))
		}
		writes = append(writes, d)
		select { // the watcher polls every 10 ms: give it a moment to see it too
		case l := <-newLeader:
			leaders = append(leaders, l)
		case <-time.After(500 * time.Millisecond):
		}
		cancelL()
		// Bring the killed server back, joining a survivor.
		leader.args = leader.withJoin(survivors[0].gossip)
		if err := b.startAgent(ctx, leader); err != nil {
			return fmt.Errorf("restart %s after kill %d: %w", leader.name, k, err)
		}
	}
	if _, err := b.waitHealthy(ctx, servers, 60*time.Second); err != nil {
		return fmt.Errorf("after the last restart: %w", err)
	}
	p50, worst := percentile(writes, 0.5), maxDuration(writes)
	report(fmt.Sprintf("failover: kill -9 leader→write ok, p50 (%d)", kills), fmtDur(p50), "(budget ≤ 1 s)", within(p50 <= time.Second))
	report(fmt.Sprintf("failover: kill -9 leader→write ok, worst (%d)", kills), fmtDur(worst), "(budget ≤ 1 s)", within(worst <= time.Second))
	detail("samples: %s; %d write attempts in all (one every 10 ms, alternating survivors)", fmtDurs(writes), attempts)
	if len(leaders) > 0 {
		detail("a survivor named the new leader after: %s", fmtDurs(leaders))
	}
	return nil
}

// waitHealthy waits until every server names the same leader, the leader
// lists all servers as Raft peers, and a write through a follower succeeds.
// It returns the leader.
func (b *bench) waitHealthy(ctx context.Context, servers []*agent, timeout time.Duration) (*agent, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		l, err := b.healthy(ctx, servers)
		if err == nil {
			return l, nil
		}
		last = err
		if sleepCtx(ctx, 100*time.Millisecond) != nil {
			return nil, fmt.Errorf("cluster not healthy after %s: %v", timeout, last)
		}
	}
}

func (b *bench) healthy(ctx context.Context, servers []*agent) (*agent, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addr := ""
	for _, s := range servers {
		l, err := s.api.leader(rctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		if l == "" {
			return nil, fmt.Errorf("%s knows no leader", s.name)
		}
		if addr != "" && l != addr {
			return nil, fmt.Errorf("servers disagree on the leader: %s and %s", addr, l)
		}
		addr = l
	}
	i := slices.IndexFunc(servers, func(s *agent) bool { return s.rpcAddr == addr })
	if i < 0 {
		return nil, fmt.Errorf("the leader %s is none of the servers", addr)
	}
	leader := servers[i]
	peers, err := leader.api.peers(rctx)
	if err != nil {
		return nil, err
	}
	if len(peers) != len(servers) {
		return nil, fmt.Errorf("the leader has %d Raft peers (%s), want %d", len(peers), strings.Join(peers, ", "), len(servers))
	}
	follower := servers[(i+1)%len(servers)]
	b.seq++
	job := sleepJob(fmt.Sprintf("bench-fo-%s-check-%d", b.nonce, b.seq), b.sleep, "1", 1, 10, 10)
	if _, err := follower.api.registerJob(rctx, job); err != nil {
		return nil, fmt.Errorf("write through %s: %w", follower.name, err)
	}
	return leader, nil
}

// firstWrite starts a PUT /v1/jobs every 10 ms against the survivors in
// turn, each with its own 2 s timeout and at most 32 in flight, and returns
// the time from the kill to the first 200. Requests are overlapped rather
// than sequential so that one stuck on a dead connection does not hide a
// write that would already succeed.
func (b *bench) firstWrite(ctx context.Context, survivors []*agent, killed time.Time, k int) (time.Duration, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	done := make(chan time.Duration, 1)
	sem := make(chan struct{}, 32)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	errs := make(chan error, 64)
	attempt := 0
	for {
		if attempt > 0 {
			select {
			case d := <-done:
				return d, attempt, nil
			case err := <-errs:
				lastErr = err
				continue
			case <-ctx.Done():
				if lastErr == nil {
					lastErr = ctx.Err()
				}
				return 0, attempt, fmt.Errorf("no write accepted within 30s of the kill; last error: %v", lastErr)
			case <-tick.C:
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			continue
		}
		attempt++
		s := survivors[attempt%len(survivors)]
		job := sleepJob(fmt.Sprintf("bench-fo-%s-%d-%d", b.nonce, k, attempt), b.sleep, "1", 1, 10, 10)
		go func() {
			defer func() { <-sem }()
			rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
			defer rcancel()
			if _, err := s.api.registerJob(rctx, job); err != nil {
				if !errors.Is(err, context.Canceled) {
					select {
					case errs <- fmt.Errorf("%s: %w", s.name, err):
					default:
					}
				}
				return
			}
			select {
			case done <- time.Since(killed):
			default:
			}
		}()
	}
}

// watchNewLeader polls the survivors' /v1/status/leader every 10 ms and
// sends the time from the kill until one names a leader other than old.
func watchNewLeader(ctx context.Context, survivors []*agent, old string, killed time.Time, out chan<- time.Duration) {
	for {
		for _, s := range survivors {
			rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			l, err := s.api.leader(rctx)
			cancel()
			if err == nil && l != "" && l != old {
				out <- time.Since(killed)
				return
			}
		}
		if sleepCtx(ctx, 10*time.Millisecond) != nil {
			return
		}
	}
}
