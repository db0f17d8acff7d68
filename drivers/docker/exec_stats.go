package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

// ExecTask runs cmd in the container (docker exec) as the task's user.
func (d *Driver) ExecTask(id string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	if t.exited() {
		return nil, fmt.Errorf("task %s: exec: %w", id, errNotRunning)
	}
	if len(cmd) == 0 {
		return nil, fmt.Errorf("task %s: exec: command is required", id)
	}
	c, err := d.docker()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	}
	defer cancel()
	ex, err := c.ExecCreate(ctx, t.containerID, client.ExecCreateOptions{
		User: t.cfg.User, AttachStdout: true, AttachStderr: true, Cmd: cmd,
	})
	if err != nil {
		return nil, fmt.Errorf("task %s: exec: %w", id, err)
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("task %s: exec: attach: %w", id, err)
	}
	defer att.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); err != nil {
		return nil, fmt.Errorf("task %s: exec: reading output: %w", id, err)
	}
	in, err := c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("task %s: exec: %w", id, err)
	}
	return &drivers.ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: in.ExitCode}, nil
}

// TaskStats takes one sample of the container's stats from the engine.
func (d *Driver) TaskStats(id string) (*drivers.TaskResourceUsage, error) {
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	if t.exited() {
		return nil, fmt.Errorf("task %s: stats: %w", id, errNotRunning)
	}
	c, err := d.docker()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	res, err := c.ContainerStats(ctx, t.containerID, client.ContainerStatsOptions{})
	if err != nil {
		return nil, fmt.Errorf("task %s: stats: %w", id, err)
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("task %s: stats: decoding: %w", id, err)
	}
	return t.usage(&s), nil
}

func (t *task) usage(s *container.StatsResponse) *drivers.TaskResourceUsage {
	m := s.MemoryStats
	u := &drivers.TaskResourceUsage{
		Measured:         []string{"cpu", "memory"},
		CPUUserNanos:     s.CPUStats.CPUUsage.UsageInUsermode,
		CPUSystemNanos:   s.CPUStats.CPUUsage.UsageInKernelmode,
		MemoryUsageBytes: m.Usage, MemoryMaxBytes: m.MaxUsage, MemoryLimitBytes: m.Limit,
		MemoryRSSBytes:   max(m.Stats["rss"], m.Stats["anon"]),
		MemoryCacheBytes: max(m.Stats["cache"], m.Stats["file"]),
		PIDs:             int(s.PidsStats.Current),
	}
	total := s.CPUStats.CPUUsage.TotalUsage
	now := time.Now()
	u.CPUTotalTicks, u.Timestamp = total/1e7, now.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	since, base := t.lastSeen, t.lastCPU
	if since.IsZero() {
		since = t.startedAt
	}
	if el := now.Sub(since); el > 0 && total >= base {
		u.CPUPercent = float64(total-base) / float64(el.Nanoseconds()) * 100
	}
	t.lastSeen, t.lastCPU = now, total
	return u
}
