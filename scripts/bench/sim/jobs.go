package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
)

// jobSpec is the JSON job the simulator submits: a service job of count
// mock tasks with small resources.
func jobSpec(id, task string, count, cpu, memMB int) map[string]any {
	return map[string]any{"job": map[string]any{
		"id":   id,
		"type": "service",
		"groups": []any{map[string]any{
			"name":  "g",
			"count": count,
			"tasks": []any{map[string]any{
				"name":      task,
				"driver":    "mock",
				"config":    map[string]any{"run_for": "1h"},
				"resources": map[string]any{"cpu": cpu, "memory": memMB},
			}},
		}},
	}}
}

// jobTracker records, per job, when it was submitted and when its last
// allocation was first seen by a node.
type jobTracker struct {
	mu          sync.Mutex
	jobs        map[string]*jobStat
	placedTotal int
	first       time.Time // first submit
	last        time.Time // last placement
	// onDone is called (outside the lock) when a job's last allocation
	// has been placed.
	onDone func(id string)
}

type jobStat struct {
	submit time.Time
	want   int
	placed int
	done   time.Time
}

func newJobTracker() *jobTracker {
	return &jobTracker{jobs: map[string]*jobStat{}}
}

// submitted records a job submitted at t (before its PUT was sent).
func (t *jobTracker) submitted(id string, want int, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first.IsZero() || at.Before(t.first) {
		t.first = at
	}
	if _, ok := t.jobs[id]; !ok {
		t.jobs[id] = &jobStat{submit: at, want: want}
	}
}

// placed records that a node saw one new allocation of job id at time at.
func (t *jobTracker) placed(id string, at time.Time) {
	t.mu.Lock()
	js, ok := t.jobs[id]
	if !ok {
		// Not a job of this run (or not recorded yet): count it anyway.
		js = &jobStat{}
		t.jobs[id] = js
	}
	js.placed++
	t.placedTotal++
	if at.After(t.last) {
		t.last = at
	}
	finished := js.want > 0 && js.placed == js.want
	if finished {
		js.done = at
	}
	done := t.onDone
	t.mu.Unlock()
	if finished && done != nil {
		done(id)
	}
}

// summary returns the placements, the first submit, the last placement
// and the submit-to-placed latency of every finished job.
func (t *jobTracker) summary() (placed int, first, last time.Time, lat []time.Duration, unfinished int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, js := range t.jobs {
		if js.want == 0 {
			continue
		}
		if js.done.IsZero() {
			unfinished++
			continue
		}
		lat = append(lat, js.done.Sub(js.submit))
	}
	return t.placedTotal, t.first, t.last, lat, unfinished
}

// submitter PUTs jobs to the HTTP API.
type submitter struct {
	url    string
	client *http.Client
	// retries counts submissions answered 503 (no leader) and sent again.
	retries atomic.Int64
}

// submit PUTs a job. A 503 means the cluster has no leader at the moment
// (an election under load): like a deployment tool, the submitter waits and
// sends the job again, for up to a minute.
func (s *submitter) submit(ctx context.Context, spec map[string]any) error {
	body, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := s.put(ctx, body)
		var unavailable *unavailableError
		if !errors.As(err, &unavailable) || time.Now().After(deadline) {
			return err
		}
		s.retries.Add(1)
		if !ctxsleep.Sleep(ctx, 500*time.Millisecond) {
			return err
		}
	}
}

// unavailableError is a 503 answer.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }

func (s *submitter) put(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.url+"/v1/jobs", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusServiceUnavailable {
		return &unavailableError{fmt.Sprintf("PUT /v1/jobs: %s: %s", resp.Status, bytes.TrimSpace(out))}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT /v1/jobs: %s: %s", resp.Status, bytes.TrimSpace(out))
	}
	return nil
}

// jobCount is how many jobs of size jobSize make up allocs allocations
// (the last job is smaller when allocs is not a multiple of jobSize).
func jobCount(allocs, jobSize int) (n, last int) {
	if allocs <= 0 || jobSize <= 0 {
		return 0, 0
	}
	n = (allocs + jobSize - 1) / jobSize
	last = allocs - (n-1)*jobSize
	return n, last
}

// submitAll calls submit(i) for i in [0, n) from par goroutines, in order
// of i, and returns the first error (the remaining jobs are then skipped).
func submitAll(ctx context.Context, par, n int, submit func(i int) error) error {
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range max(1, par) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := submit(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}
