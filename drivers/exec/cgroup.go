package exec

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	cgroups "github.com/containerd/cgroups/v3"
	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// parentCgroup holds every task's cgroup: /appmesh/<alloc id>-<task name>.
const parentCgroup = "appmesh"

// killPoll is how often a cgroup being killed is checked for emptiness, and
// killWait how long it may take at most.
const (
	killPoll = 5 * time.Millisecond
	killWait = 10 * time.Second
)

// cgroupBackend is one cgroup version's implementation.
type cgroupBackend interface {
	// check fails when the task asks for a limit this hierarchy cannot
	// enforce (its controller is missing): running it unlimited would be
	// silently wrong.
	check(l *limits) error
	create(name string, l *limits) error
	// join sets sys so a new process starts in the cgroup (v2) and returns
	// what to do once it runs (v1: move it in).
	join(name string, sys sysAttr) (func(pid int) error, error)
	procs(name string) ([]int, error)
	kill(name string) error
	oomKills(name string) (uint64, error)
	stats(name string) (*drivers.TaskResourceUsage, error)
	cpuset(name string) string
	// cpusetRoot is the mount of the hierarchy that has the cpuset
	// controller ("" without one).
	cpusetRoot() string
	remove(name string) error
	version() string
	// parentDir is the directory holding the task cgroups (for v1, the
	// one in the memory controller).
	parentDir() string
	// probe creates the parent cgroups, proving the filesystem writable.
	probe() error
}

// cgroupOptions choose the hierarchy; the zero value detects it.
type cgroupOptions struct {
	// v2Mount forces cgroup v2 at this cgroup2 mountpoint (tests use the
	// hybrid hierarchy's /sys/fs/cgroup/unified); "": detect.
	v2Mount string
	logger  hclog.Logger
}

// limits are a task's resources in cgroup terms.
type limits struct {
	memHard int64  // bytes; 0: none
	memSoft int64  // bytes; 0: none
	shares  uint64 // v1 cpu.shares, from MHz
	cores   int    // whole cores to reserve
	cpus    string // cpuset of the reserved cores; "": all
}

func limitsOf(r *structs.Resources) *limits {
	l := &limits{shares: 1024}
	if r == nil {
		return l
	}
	const mb = 1 << 20
	l.cores = r.Cores
	l.memHard = int64(r.MemoryMB) * mb
	switch {
	case r.MemoryMaxMB > 0:
		l.memHard, l.memSoft = int64(r.MemoryMaxMB)*mb, int64(r.MemoryMB)*mb
	case r.MemoryMaxMB == structs.MemoryMaxUnlimited:
		l.memHard, l.memSoft = 0, int64(r.MemoryMB)*mb // no hard limit
	}
	if r.CPU > 0 {
		l.shares = uint64(min(max(r.CPU, 2), 262144))
	}
	return l
}

// weightOf maps v1 shares [2, 262144] onto v2 weight [1, 10000], the same
// conversion runc and systemd use.
func weightOf(shares uint64) uint64 {
	return 1 + ((shares-2)*9999)/262142
}

// cgroupName is the task's cgroup below the parent. The task id is
// "<alloc id>/<task name>"; anything but [A-Za-z0-9_.-] becomes '-'.
func cgroupName(taskID string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, taskID)
}

// detectBackend picks cgroup v2 on a unified hierarchy and v1 on a legacy
// or hybrid one (where the v2 tree has no controllers), unless
// opts.v2Mount names the cgroup2 mountpoint to use.
func detectBackend(opts cgroupOptions) (cgroupBackend, error) {
	logger := opts.logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if opts.v2Mount != "" {
		return newV2(opts.v2Mount, logger)
	}
	switch cgroups.Mode() {
	case cgroups.Unified:
		return newV2(defaultV2Mount, logger)
	case cgroups.Legacy, cgroups.Hybrid:
		return newV1()
	default:
		return nil, fmt.Errorf("no cgroup filesystem mounted at /sys/fs/cgroup")
	}
}

// killAll SIGKILLs every process listed until the cgroup is empty; new
// processes forked meanwhile are caught by the next round.
func killAll(name string, procs func(string) ([]int, error)) error {
	deadline := time.Now().Add(killWait)
	for {
		pids, err := procs(name)
		if err != nil || len(pids) == 0 {
			return err
		}
		for _, pid := range pids {
			_ = syscallKill(pid)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s: %d processes still present %s after SIGKILL", name, len(pids), killWait)
		}
		time.Sleep(killPoll)
	}
}

// readProcs parses a cgroup.procs file; a missing cgroup has none.
func readProcs(path string) ([]int, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// readKey returns the value of "key N" in a flat keyed file such as
// memory.events or memory.oom_control.
func readKey(path, key string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, key)
}
