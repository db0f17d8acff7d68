package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/appmesh/appmesh/drivers"
)

// v1Subsystems are the controllers a task's cgroup is created in.
var v1Subsystems = []cgroup1.Name{cgroup1.Memory, cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Cpuset, cgroup1.Pids, cgroup1.Freezer}

type pather interface{ Path(string) string }

// v1 is the cgroup v1 backend: one directory per controller hierarchy.
type v1 struct {
	subsystems []cgroup1.Subsystem
	memsw      bool // swap accounting on: the memory limit covers swap too
}

func newV1() (*v1, error) {
	all, err := cgroup1.Default()
	if err != nil {
		return nil, fmt.Errorf("cgroup v1: %w", err)
	}
	b := &v1{}
	for _, s := range all {
		if slices.Contains(v1Subsystems, s.Name()) {
			b.subsystems = append(b.subsystems, s)
		}
	}
	if b.dir(cgroup1.Memory, "") == "" {
		return nil, fmt.Errorf("cgroup v1: memory controller not mounted")
	}
	_, err = os.Stat(filepath.Join(b.dir(cgroup1.Memory, ""), "memory.memsw.limit_in_bytes"))
	b.memsw = err == nil
	return b, nil
}

func (b *v1) version() string { return "cgroup v1" }

func (b *v1) parentDir() string { return filepath.Join(b.dir(cgroup1.Memory, ""), parentCgroup) }

// probe creates the parents in the controllers that must be writable.
func (b *v1) probe() error {
	for _, n := range []cgroup1.Name{cgroup1.Memory, cgroup1.Freezer} {
		if root := b.dir(n, ""); root != "" {
			if err := os.MkdirAll(filepath.Join(root, parentCgroup), 0o755); err != nil {
				return fmt.Errorf("create parent cgroup: %w", err)
			}
		}
	}
	return nil
}

// check: newV1 requires the memory controller; reserved cores need cpuset,
// which a v1 host may not mount.
func (b *v1) check(l *limits) error {
	if l.cores > 0 && b.dir(cgroup1.Cpuset, "") == "" {
		return fmt.Errorf("cgroup v1: the task reserves cores but the cpuset controller is not mounted")
	}
	return nil
}

func (b *v1) hierarchy() ([]cgroup1.Subsystem, error) { return b.subsystems, nil }

func cgPath(name string) string { return "/" + parentCgroup + "/" + name }

// dir is the cgroup's directory in one controller ("" name: the parent's
// root), or "" when that controller is not mounted.
func (b *v1) dir(n cgroup1.Name, name string) string {
	for _, s := range b.subsystems {
		if s.Name() == n {
			if name == "" {
				return s.(pather).Path("/")
			}
			return s.(pather).Path(cgPath(name))
		}
	}
	return ""
}

func (b *v1) create(name string, l *limits) error {
	res := &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: &l.shares, Cpus: l.cpus}, Memory: &specs.LinuxMemory{}}
	if l.memHard > 0 {
		res.Memory.Limit = &l.memHard
		if b.memsw {
			res.Memory.Swap = &l.memHard // no swapping past the limit
		}
	}
	if l.memSoft > 0 {
		res.Memory.Reservation = &l.memSoft
	}
	_, err := cgroup1.New(cgroup1.StaticPath(cgPath(name)), res, cgroup1.WithHierarchy(b.hierarchy))
	return err
}

// join moves the new process into the cgroup once it started: v1 cannot
// start a process inside a cgroup, so the child is traced (see the
// executor's startInIsolation) and moved in while stopped after its exec.
func (b *v1) join(name string, sys sysAttr) (func(int) error, error) {
	sys.Ptrace = true
	cg, err := cgroup1.Load(cgroup1.StaticPath(cgPath(name)), cgroup1.WithHierarchy(b.hierarchy))
	if err != nil {
		return nil, fmt.Errorf("loading cgroup %s: %w", name, err)
	}
	return func(pid int) error {
		if pid == 0 {
			return nil
		}
		if err := cg.AddProc(uint64(pid)); err != nil {
			return fmt.Errorf("moving pid %d into cgroup %s: %w", pid, name, err)
		}
		return nil
	}, nil
}

func (b *v1) procs(name string) ([]int, error) {
	return readProcs(filepath.Join(b.dir(cgroup1.Memory, name), "cgroup.procs"))
}

// kill freezes the cgroup so nothing forks, SIGKILLs everyone, thaws (the
// kill is delivered on thaw), then waits until the cgroup is empty.
func (b *v1) kill(name string) error {
	freezer := b.dir(cgroup1.Freezer, name)
	if freezer != "" {
		if _, err := os.Stat(freezer); err != nil {
			freezer = ""
		}
	}
	if freezer != "" {
		_ = os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte("FROZEN"), 0o644)
		if pids, _ := b.procs(name); len(pids) > 0 {
			for _, pid := range pids {
				_ = syscallKill(pid)
			}
		}
		_ = os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte("THAWED"), 0o644)
	}
	return killAll(name, b.procs)
}

func (b *v1) oomKills(name string) (uint64, error) {
	return readKey(filepath.Join(b.dir(cgroup1.Memory, name), "memory.oom_control"), "oom_kill")
}

func (b *v1) cpusetRoot() string { return b.dir(cgroup1.Cpuset, "") }

func (b *v1) cpuset(name string) string {
	data, _ := os.ReadFile(filepath.Join(b.dir(cgroup1.Cpuset, name), "cpuset.cpus"))
	return string(data)
}

func (b *v1) stats(name string) (*drivers.TaskResourceUsage, error) {
	cg, err := cgroup1.Load(cgroup1.StaticPath(cgPath(name)), cgroup1.WithHierarchy(b.hierarchy))
	if err != nil {
		return nil, fmt.Errorf("loading cgroup %s: %w", name, err)
	}
	m, err := cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return nil, fmt.Errorf("reading cgroup %s: %w", name, err)
	}
	u := &drivers.TaskResourceUsage{Measured: []string{"cpu", "memory"}}
	if m.CPU != nil && m.CPU.Usage != nil {
		u.CPUUserNanos, u.CPUSystemNanos = m.CPU.Usage.User, m.CPU.Usage.Kernel
		if m.CPU.Throttling != nil {
			u.CPUThrottledNs = m.CPU.Throttling.ThrottledTime
		}
	}
	if mem := m.Memory; mem != nil {
		u.MemoryRSSBytes, u.MemoryCacheBytes = mem.RSS, mem.Cache
		if mem.Usage != nil {
			u.MemoryUsageBytes, u.MemoryMaxBytes, u.MemoryLimitBytes = mem.Usage.Usage, mem.Usage.Max, mem.Usage.Limit
		}
	}
	if m.Pids != nil {
		u.PIDs = int(m.Pids.Current)
	}
	if pids, err := b.procs(name); err == nil {
		u.OpenFDs = drivers.CountOpenFDs(pids)
		u.Measured = append(u.Measured, "fds")
	}
	return u, nil
}

// remove deletes the cgroup's directory in every controller.
func (b *v1) remove(name string) error {
	for _, s := range b.subsystems {
		if err := rmdirRetry(s.(pather).Path(cgPath(name))); err != nil {
			return err
		}
	}
	return nil
}
