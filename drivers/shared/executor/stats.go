package executor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// pageSize converts /proc's RSS in pages to bytes.
var pageSize = uint64(os.Getpagesize())

// Stats measures a task: from its isolation (cgroup) when it has one, else
// by summing its process group's members in /proc.
func (e *Executor) Stats(id string) (*drivers.TaskResourceUsage, error) {
	t, err := e.lookup(id)
	if err != nil {
		return nil, err
	}
	if t.exited() {
		return nil, fmt.Errorf("task %s: stats: task is not running", id)
	}
	u, err := e.isolation.Stats(id)
	if err != nil {
		return nil, fmt.Errorf("task %s: stats: %w", id, err)
	}
	if u == nil {
		if u, err = procGroupStats(t.pgid); err != nil {
			return nil, fmt.Errorf("task %s: stats: %w", id, err)
		}
	}
	t.cpuPercent(u)
	return u, nil
}

// cpuPercent fills CPUPercent from the CPU time used since the last sample
// (or since the task started) and CPUTotalTicks from the total.
func (t *task) cpuPercent(u *drivers.TaskResourceUsage) {
	now := time.Now()
	cpuNs := u.CPUUserNanos + u.CPUSystemNanos
	u.CPUTotalTicks = cpuNs / (1e9 / clockTicks)
	u.Timestamp = now.UnixNano()
	t.statsMu.Lock()
	defer t.statsMu.Unlock()
	since, base := t.lastSeen, t.lastCPU
	if since.IsZero() {
		since = t.startedAt
	}
	if elapsed := now.Sub(since); elapsed > 0 && cpuNs >= base {
		u.CPUPercent = float64(cpuNs-base) / float64(elapsed.Nanoseconds()) * 100
	}
	t.lastSeen, t.lastCPU = now, cpuNs
}

// procGroupStats sums CPU time and RSS over the live members of a process
// group (raw_exec: the task's whole tree unless a process left the group).
func procGroupStats(pgid int) (*drivers.TaskResourceUsage, error) {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing /proc: %w", err)
	}
	u := &drivers.TaskResourceUsage{Measured: []string{"cpu", "memory", "fds"}}
	want := strconv.Itoa(pgid)
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		fields, ok := procStatFields(name)
		// fields[2] is the group, [11] utime, [12] stime, [21] rss (pages).
		if !ok || len(fields) < 22 || fields[2] != want || fields[0] == "Z" {
			continue
		}
		utime, _ := strconv.ParseUint(fields[11], 10, 64)
		stime, _ := strconv.ParseUint(fields[12], 10, 64)
		rss, _ := strconv.ParseUint(fields[21], 10, 64)
		u.CPUUserNanos += utime * (1e9 / clockTicks)
		u.CPUSystemNanos += stime * (1e9 / clockTicks)
		u.MemoryRSSBytes += rss * pageSize
		u.PIDs++
		if pid, err := strconv.Atoi(name); err == nil {
			u.OpenFDs += drivers.CountOpenFDs([]int{pid})
		}
	}
	return u, nil
}

// procStatFields returns the fields of /proc/<pid>/stat after the command
// name (field 3, the state, first).
func procStatFields(pid string) ([]string, bool) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(data[i+1:])), true
}
