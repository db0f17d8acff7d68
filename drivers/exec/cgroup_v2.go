package exec

import (
	"fmt"
	"path/filepath"

	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

const v2Mount = "/sys/fs/cgroup"

// v2 is the cgroup v2 backend: /sys/fs/cgroup/appmesh/<name>.
type v2 struct{}

func newV2() *v2 { return &v2{} }

func (b *v2) version() string { return "cgroup v2" }

func (b *v2) dir(name string) string {
	if name == "" {
		return v2Mount
	}
	return filepath.Join(v2Mount, parentCgroup, name)
}

func (b *v2) create(name string, l *limits) error {
	weight := weightOf(l.shares)
	res := &cgroup2.Resources{CPU: &cgroup2.CPU{Weight: &weight, Cpus: l.cpus}, Memory: &cgroup2.Memory{}}
	if l.memHard > 0 {
		var noSwap int64
		res.Memory.Max, res.Memory.Swap = &l.memHard, &noSwap
	}
	if l.memSoft > 0 {
		res.Memory.Low = &l.memSoft
	}
	_, err := cgroup2.NewManager(v2Mount, "/"+parentCgroup+"/"+name, res)
	return err
}

// join opens the cgroup directory so that clone3(CLONE_INTO_CGROUP) starts
// the process inside it; the fd is closed once the process runs.
func (b *v2) join(name string, sys sysAttr) (func(int) error, error) {
	fd, err := unix.Open(b.dir(name), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening cgroup %s: %w", name, err)
	}
	sys.UseCgroupFD, sys.CgroupFD = true, fd
	return func(int) error { return unix.Close(fd) }, nil
}

func (b *v2) procs(name string) ([]int, error) {
	return readProcs(filepath.Join(b.dir(name), "cgroup.procs"))
}

// kill uses cgroup.kill (Linux 5.14+), which kills the whole cgroup
// atomically, and falls back to killing each process.
func (b *v2) kill(name string) error {
	// An older kernel or a cgroup already gone: the loop below copes.
	_ = writeFile(filepath.Join(b.dir(name), "cgroup.kill"), "1")
	return killAll(name, b.procs)
}

func (b *v2) oomKills(name string) (uint64, error) {
	return readKey(filepath.Join(b.dir(name), "memory.events"), "oom_kill")
}

func (b *v2) cpuset(name string) string {
	data, _ := readFileString(filepath.Join(b.dir(name), "cpuset.cpus.effective"))
	return data
}

func (b *v2) stats(name string) (*drivers.TaskResourceUsage, error) {
	m, err := cgroup2.Load("/"+parentCgroup+"/"+name, cgroup2.WithMountpoint(v2Mount))
	if err != nil {
		return nil, fmt.Errorf("loading cgroup %s: %w", name, err)
	}
	st, err := m.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading cgroup %s: %w", name, err)
	}
	u := &drivers.TaskResourceUsage{Measured: []string{"cpu", "memory"}}
	if st.CPU != nil {
		u.CPUUserNanos, u.CPUSystemNanos = st.CPU.UserUsec*1000, st.CPU.SystemUsec*1000
		u.CPUThrottledNs = st.CPU.ThrottledUsec * 1000
	}
	if mem := st.Memory; mem != nil {
		u.MemoryRSSBytes, u.MemoryCacheBytes = mem.Anon, mem.File
		u.MemoryUsageBytes, u.MemoryMaxBytes, u.MemoryLimitBytes = mem.Usage, mem.MaxUsage, mem.UsageLimit
	}
	if st.Pids != nil {
		u.PIDs = int(st.Pids.Current)
	}
	return u, nil
}

func (b *v2) remove(name string) error { return rmdirRetry(b.dir(name)) }
