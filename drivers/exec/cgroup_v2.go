package exec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// defaultV2Mount is where a unified (pure v2) host mounts cgroup2. A hybrid
// host mounts it at /sys/fs/cgroup/unified, usually without controllers.
const defaultV2Mount = "/sys/fs/cgroup"

// v2Controllers are enabled for the task cgroups when the hierarchy offers
// them: cpu (cpu.weight), cpuset (reserved cores), memory (limits, usage,
// OOM kills), pids (process count).
var v2Controllers = []string{"cpu", "cpuset", "memory", "pids"}

// v2 is the cgroup v2 backend: <mount>/appmesh/<name>.
type v2 struct {
	mount  string
	logger hclog.Logger
	noCPU  sync.Once // warn once that cpu.weight cannot be applied
}

func newV2(mount string, logger hclog.Logger) (*v2, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(mount, &st); err != nil {
		return nil, fmt.Errorf("cgroup v2 at %s: %w", mount, err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		return nil, fmt.Errorf("cgroup v2: %s is not a cgroup2 filesystem", mount)
	}
	return &v2{mount: mount, logger: logger}, nil
}

func (b *v2) version() string { return "cgroup v2" }

func (b *v2) parentDir() string { return filepath.Join(b.mount, parentCgroup) }

func (b *v2) probe() error {
	if err := os.MkdirAll(b.parentDir(), 0o755); err != nil {
		return fmt.Errorf("create parent cgroup: %w", err)
	}
	return nil
}

func (b *v2) dir(name string) string {
	if name == "" {
		return b.mount
	}
	return filepath.Join(b.mount, parentCgroup, name)
}

// enable makes the wanted controllers that the hierarchy offers available
// to the task cgroups (subtree_control of the root and of the parent) and
// returns those the parent's children get. why only explains a missing
// controller: what is there still works; err means no cgroup at all.
func (b *v2) enable() (have []string, why, err error) {
	if err := b.probe(); err != nil {
		return nil, nil, err
	}
	for _, dir := range []string{b.mount, b.parentDir()} {
		avail, err := readFields(filepath.Join(dir, "cgroup.controllers"))
		if err != nil {
			return nil, nil, err
		}
		on, err := readFields(filepath.Join(dir, "cgroup.subtree_control"))
		if err != nil {
			return nil, nil, err
		}
		var add []string
		for _, c := range v2Controllers {
			if slices.Contains(avail, c) && !slices.Contains(on, c) {
				add = append(add, "+"+c)
			}
		}
		if len(add) == 0 {
			continue
		}
		// e.g. EBUSY at the root of a cgroup namespace that holds processes.
		f := filepath.Join(dir, "cgroup.subtree_control")
		if err := writeFile(f, strings.Join(add, " ")); err != nil {
			why = errors.Join(why, fmt.Errorf("write %q to %s: %w", strings.Join(add, " "), f, err))
		}
	}
	have, err = readFields(filepath.Join(b.parentDir(), "cgroup.subtree_control"))
	return have, why, err
}

// check refuses limits whose controller the task cgroups do not get: a
// task asking for 64 MB must not run unlimited, nor one reserving cores on
// every core. A missing cpu controller only loses the relative weight
// (cpu MHz is a share, not a cap), so that is logged, not refused.
func (b *v2) check(l *limits) error {
	have, why, err := b.enable()
	if err != nil {
		return fmt.Errorf("cgroup v2 at %s: %w", b.mount, err)
	}
	var need []string
	if (l.memHard > 0 || l.memSoft > 0) && !slices.Contains(have, "memory") {
		need = append(need, fmt.Sprintf("a memory limit (%d MB) needs the memory controller", max(l.memHard, l.memSoft)>>20))
	}
	if l.cores > 0 && !slices.Contains(have, "cpuset") {
		need = append(need, fmt.Sprintf("reserving %d cores needs the cpuset controller", l.cores))
	}
	if len(need) > 0 {
		avail, _ := readFields(filepath.Join(b.mount, "cgroup.controllers"))
		msg := fmt.Sprintf("cgroup v2 at %s: %s, which this hierarchy does not provide (cgroup.controllers: %q)",
			b.mount, strings.Join(need, "; "), strings.Join(avail, " "))
		if why != nil {
			msg += fmt.Sprintf(" (enabling failed: %v)", why)
		}
		return errors.New(msg)
	}
	if !slices.Contains(have, "cpu") {
		b.noCPU.Do(func() {
			b.logger.Warn("cgroup v2: no cpu controller for task cgroups; a task's cpu (MHz) is not applied as cpu.weight, tasks share CPU time equally",
				"mount", b.mount, "subtree_control", strings.Join(have, " "), "why", why)
		})
	}
	return nil
}

// create makes the task's cgroup and writes its limits. Only files of
// controllers the cgroup has are written; check has refused the rest.
func (b *v2) create(name string, l *limits) error {
	if err := b.check(l); err != nil {
		return err
	}
	dir := b.dir(name)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup %q: %w", dir, err)
	}
	has := func(file string) bool { _, err := os.Stat(filepath.Join(dir, file)); return err == nil }
	var files [][2]string
	if has("cpu.weight") {
		files = append(files, [2]string{"cpu.weight", strconv.FormatUint(weightOf(l.shares), 10)})
	}
	if l.cpus != "" {
		files = append(files, [2]string{"cpuset.cpus", l.cpus})
	}
	if l.memHard > 0 {
		files = append(files, [2]string{"memory.max", strconv.FormatInt(l.memHard, 10)})
		// Without swap accounting there is no swap to forbid.
		if has("memory.swap.max") {
			files = append(files, [2]string{"memory.swap.max", "0"})
		}
	}
	if l.memSoft > 0 {
		files = append(files, [2]string{"memory.low", strconv.FormatInt(l.memSoft, 10)})
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f[0]), f[1]); err != nil {
			_ = unix.Rmdir(dir)
			return fmt.Errorf("cgroup %s: set %s = %s: %w", name, f[0], f[1], err)
		}
	}
	return nil
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
// atomically, forks included; on older kernels the cgroup is frozen so
// nothing forks while each process is killed. Either way it returns once
// the cgroup is empty.
func (b *v2) kill(name string) error {
	if _, err := os.Stat(b.dir(name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := b.killByFile(name); err != nil {
		b.logger.Debug("cgroup.kill unavailable, freezing and killing each process", "cgroup", name, "error", err)
		if err := b.killFrozen(name); err != nil {
			b.logger.Debug("cgroup.freeze unavailable, killing each process", "cgroup", name, "error", err)
		}
	}
	return killAll(name, b.procs)
}

func (b *v2) killByFile(name string) error {
	return writeFile(filepath.Join(b.dir(name), "cgroup.kill"), "1")
}

// killFrozen freezes the cgroup, SIGKILLs every process in it (a fatal
// signal ends a frozen process on v2) and thaws it.
func (b *v2) killFrozen(name string) error {
	freeze := filepath.Join(b.dir(name), "cgroup.freeze")
	if err := writeFile(freeze, "1"); err != nil {
		return fmt.Errorf("freeze cgroup %s: %w", name, err)
	}
	defer func() { _ = writeFile(freeze, "0") }()
	pids, err := b.procs(name)
	for _, pid := range pids {
		_ = syscallKill(pid)
	}
	return err
}

func (b *v2) oomKills(name string) (uint64, error) {
	return readKey(filepath.Join(b.dir(name), "memory.events"), "oom_kill")
}

func (b *v2) cpusetRoot() string { return b.mount }

// cpuset is the cgroup's effective cores; for the root without the cpuset
// controller (a hybrid host's v2 tree), every online core.
func (b *v2) cpuset(name string) string {
	data, err := readFileString(filepath.Join(b.dir(name), "cpuset.cpus.effective"))
	if err != nil && name == "" {
		data, _ = readFileString("/sys/devices/system/cpu/online")
	}
	return data
}

// stats reads what the cgroup has: cpu.stat is always there on v2; memory
// and pids only with their controllers. Missing ones are left out of
// Measured instead of failing the whole read.
func (b *v2) stats(name string) (*drivers.TaskResourceUsage, error) {
	m, err := cgroup2.Load("/"+parentCgroup+"/"+name, cgroup2.WithMountpoint(b.mount))
	if err != nil {
		return nil, fmt.Errorf("loading cgroup %s: %w", name, err)
	}
	st, err := m.StatFiltered(cgroup2.StatCPU | cgroup2.StatMemory | cgroup2.StatPids)
	if err != nil {
		return nil, fmt.Errorf("reading cgroup %s: %w", name, err)
	}
	dir := b.dir(name)
	has := func(file string) bool { _, err := os.Stat(filepath.Join(dir, file)); return err == nil }
	u := &drivers.TaskResourceUsage{Measured: []string{"cpu"}}
	if st.CPU != nil {
		u.CPUUserNanos, u.CPUSystemNanos = st.CPU.UserUsec*1000, st.CPU.SystemUsec*1000
		u.CPUThrottledNs = st.CPU.ThrottledUsec * 1000
	}
	if mem := st.Memory; mem != nil && has("memory.current") {
		u.Measured = append(u.Measured, "memory")
		u.MemoryRSSBytes, u.MemoryCacheBytes = mem.Anon, mem.File
		u.MemoryUsageBytes, u.MemoryMaxBytes, u.MemoryLimitBytes = mem.Usage, mem.MaxUsage, mem.UsageLimit
	}
	pids, err := b.procs(name)
	if err != nil {
		return nil, fmt.Errorf("reading cgroup %s: %w", name, err)
	}
	if st.Pids != nil && has("pids.current") {
		u.PIDs = int(st.Pids.Current)
	} else {
		u.PIDs = len(pids)
	}
	u.OpenFDs = drivers.CountOpenFDs(pids)
	u.Measured = append(u.Measured, "fds")
	if !has("memory.current") {
		// No memory controller: the resident set of the cgroup's
		// processes from /proc is the next best measure (no cache, no
		// limit).
		u.Measured = append(u.Measured, "memory")
		u.MemoryRSSBytes = rssOf(pids)
		u.MemoryUsageBytes = u.MemoryRSSBytes
	}
	return u, nil
}

// rssOf sums the resident memory of processes from /proc/<pid>/statm;
// processes gone meanwhile count nothing.
func rssOf(pids []int) uint64 {
	page := uint64(os.Getpagesize())
	var total uint64
	for _, pid := range pids {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 1 {
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				total += n * page
			}
		}
	}
	return total
}

func (b *v2) remove(name string) error { return rmdirRetry(b.dir(name)) }

// readFields reads a space-separated cgroup file such as cgroup.controllers.
func readFields(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return strings.Fields(string(data)), nil
}
