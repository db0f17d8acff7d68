package executor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// startProcess forks the task in its own process group with stdin (nil:
// /dev/null), stdout and stderr as its fds 0, 1 and 2 (see taskOutput). It
// returns the process and a pidfd for it (-1 when the kernel has none).
func startProcess(spec *launchSpec, stdin, stdout, stderr *os.File, sys *syscall.SysProcAttr) (*os.Process, int, error) {
	if stdin == nil {
		devNull, err := os.Open(os.DevNull)
		if err != nil {
			return nil, -1, fmt.Errorf("opening stdin: %w", err)
		}
		defer devNull.Close()
		stdin = devNull
	}

	pidfd := -1
	sys.Setpgid = true
	sys.Credential = spec.cred
	sys.PidFD = &pidfd
	// Its own process group lets Stop signal the whole task tree at once and
	// keeps a Ctrl-C on the agent's terminal away from the task. Only the
	// three Files are inherited: Go opens everything else close-on-exec.
	proc, err := os.StartProcess(spec.path, spec.argv, &os.ProcAttr{
		Dir:   spec.dir,
		Env:   spec.env,
		Files: append([]*os.File{stdin, stdout, stderr}, spec.extra...),
		Sys:   sys,
	})
	if err != nil {
		return nil, -1, fmt.Errorf("starting %s: %w", spec.path, err)
	}
	return proc, pidfd, nil
}

// pidWatcher reports when a process has exited, without reaping it. When a
// pidfd is available it is parked in the Go runtime's netpoller, so waiting
// costs one small goroutine and no OS thread per task.
type pidWatcher struct {
	pid  int
	file *os.File // pollable pidfd; nil when unavailable
}

// newPidWatcher takes ownership of pidfd (which may be -1).
func newPidWatcher(pid, pidfd int) *pidWatcher {
	w := &pidWatcher{pid: pid}
	if pidfd < 0 {
		return w
	}
	if err := unix.SetNonblock(pidfd, true); err != nil {
		unix.Close(pidfd)
		return w
	}
	w.file = os.NewFile(uintptr(pidfd), "pidfd:"+strconv.Itoa(pid))
	return w
}

// openPidWatcher watches a process that is not our child (recovery).
func openPidWatcher(pid int) *pidWatcher {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		fd = -1
	}
	return newPidWatcher(pid, fd)
}

// waitPollable blocks until the pidfd is readable, i.e. the process exited.
// It returns an error when the pidfd cannot be polled by the runtime.
func (w *pidWatcher) waitPollable() error {
	if w.file == nil {
		return errors.New("no pidfd")
	}
	rc, err := w.file.SyscallConn()
	if err != nil {
		return err
	}
	var pollErr error
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		if err != nil && err != unix.EINTR {
			pollErr = err
			return true
		}
		return n > 0
	})
	if err != nil {
		return err
	}
	return pollErr
}

// waitChild blocks until our child exits and leaves it a zombie, so that its
// pid (and with it the process group id) cannot be reused until we reap it.
func (w *pidWatcher) waitChild() {
	if w.waitPollable() == nil {
		return
	}
	// Old kernel or unpollable pidfd: block a thread in waitid instead.
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, w.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// waitForeign blocks until a process that is not our child exits. Without a
// pollable pidfd it checks once a second, which is cheap for the few tasks
// that are recovered rather than started.
func (w *pidWatcher) waitForeign(startTicks uint64) {
	if w.waitPollable() == nil {
		return
	}
	for processAlive(w.pid, startTicks) {
		time.Sleep(time.Second)
	}
}

func (w *pidWatcher) close() {
	if w.file != nil {
		w.file.Close()
	}
}

// processAlive reports whether pid runs and is still the process that was
// started at startTicks (0 skips that check).
func processAlive(pid int, startTicks uint64) bool {
	if err := unix.Kill(pid, 0); err == unix.ESRCH {
		return false
	}
	if startTicks == 0 {
		return true
	}
	ticks, err := processStartTicks(pid)
	return err == nil && ticks == startTicks
}

// processStartTicks reads a process's start time (clock ticks since boot)
// from /proc; together with the pid it identifies a process uniquely, which
// guards recovery and group kills against pid reuse.
func processStartTicks(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may contain spaces and parentheses; fields after the
	// last ')' are fixed: state is field 3, starttime field 22.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// signalGroup sends sig to every process in the group; a group that is
// already gone is not an error.
func signalGroup(pgid int, sig unix.Signal) error {
	if err := unix.Kill(-pgid, sig); err != nil && err != unix.ESRCH {
		return fmt.Errorf("signalling process group %d: %w", pgid, err)
	}
	return nil
}

// groupHasLiveMembers reports whether a process other than leader, and not a
// zombie, is in process group pgid. It is used only while tasks stop; the
// /proc scan behind it is shared by every stopping task (see groupScan), so
// stopping 1,000 tasks at once costs one scan per poll, not 1,000.
func groupHasLiveMembers(pgid, leader int) bool {
	for _, pid := range groups.members(pgid) {
		if pid != leader {
			return true
		}
	}
	return false
}

// groupScan caches one /proc scan (process group → live, non-zombie pids)
// for groupScanTTL.
type groupScan struct {
	mu      sync.Mutex
	takenAt time.Time
	byGroup map[int][]int
}

const groupScanTTL = 15 * time.Millisecond

var groups groupScan

func (g *groupScan) members(pgid int) []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.takenAt) > groupScanTTL {
		g.byGroup = scanGroups()
		g.takenAt = time.Now()
	}
	return g.byGroup[pgid]
}

// scanGroups reads every process's state and process group from /proc.
func scanGroups() map[int][]int {
	out := map[int][]int{}
	dir, err := os.Open("/proc")
	if err != nil {
		return out
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return out
	}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(data), ')')
		fields := strings.Fields(string(data[i+1:]))
		// fields[0] is the state, fields[2] the process group.
		if len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		if pg, err := strconv.Atoi(fields[2]); err == nil {
			out[pg] = append(out[pg], pid)
		}
	}
	return out
}
