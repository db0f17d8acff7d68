package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// nsTask is what the executor knows of an isolated task's namespaces.
type nsTask struct {
	stateDir string
	// childNSPid is the task's main process's pid inside its namespace
	// (the init's first child, normally 2).
	childNSPid int
}

// nsStart is an isolated task's init being started: the pipes it talks
// over and the spec it is about to receive.
type nsStart struct {
	spec           *nsSpec
	stateDir       string
	specR, specW   *os.File
	readyR, readyW *os.File
}

// readyTimeout bounds the wait for the init's answer; building a root is a
// few dozen mounts, so only a wedged kernel or init takes this long.
const readyTimeout = time.Minute

// prepareNS creates the task's state dir (its root's empty mount point)
// and the init's pipes, and returns the spec of the init process itself.
func (e *Executor) prepareNS(cfg *drivers.TaskConfig, spec *launchSpec) (*launchSpec, *nsStart, error) {
	dir := nsStateDir(e.nsBase, cfg.ID)
	// A dir left by a task with the same id (a crash) holds a stale exit.
	_ = os.RemoveAll(dir)
	s, err := buildNSSpec(cfg, spec, dir)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the task's root mount point: %w", err)
	}
	// 0700: nobody but root needs to pass here; inside the task's mount
	// namespace the root's own tmpfs (mode 0755) covers s.Root.
	ns := &nsStart{spec: s, stateDir: dir}
	if ns.specR, ns.specW, err = os.Pipe(); err != nil {
		return nil, nil, fmt.Errorf("creating the init's pipe: %w", err)
	}
	if ns.readyR, ns.readyW, err = os.Pipe(); err != nil {
		ns.close()
		return nil, nil, fmt.Errorf("creating the init's pipe: %w", err)
	}
	// The running image itself, even if its file was replaced since.
	init := &launchSpec{
		path: "/proc/self/exe",
		argv: []string{nsInitArg0},
		dir:  "/",
		// The init is one of the task's processes (its cgroup counts its
		// threads): one P keeps it to a handful.
		env:   []string{"GOMAXPROCS=1"},
		extra: []*os.File{ns.specR, ns.readyW},
	}
	return init, ns, nil
}

// nsCloneFlags give the init its own PID and mount namespaces.
const nsCloneFlags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS

// closeChildEnds closes the pipe ends the init got its own copies of.
func (ns *nsStart) closeChildEnds() {
	ns.specR.Close()
	ns.readyW.Close()
}

func (ns *nsStart) close() {
	for _, f := range []*os.File{ns.specR, ns.specW, ns.readyR, ns.readyW} {
		if f != nil {
			f.Close()
		}
	}
}

// handshake sends the spec to the started init and waits for its answer.
// It runs after the init is in its cgroup, so the task is born there too.
func (ns *nsStart) handshake() (int, error) {
	defer ns.close()
	b, err := json.Marshal(ns.spec)
	if err != nil {
		return 0, fmt.Errorf("encoding the task spec: %w", err)
	}
	_, werr := ns.specW.Write(b)
	ns.specW.Close()
	_ = ns.readyR.SetReadDeadline(time.Now().Add(readyTimeout))
	pid, err := readReady(ns.readyR)
	if err != nil && werr != nil && !errors.Is(werr, syscall.EPIPE) {
		return 0, fmt.Errorf("sending the task spec: %w", werr)
	}
	return pid, err
}

// nsExitResult reads the status the init left for the task, if any.
func nsExitResult(stateDir string) (*drivers.ExitResult, bool) {
	b, err := os.ReadFile(filepath.Join(stateDir, "exit"))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	var x nsExit
	if json.Unmarshal(b, &x) != nil {
		return nil, false
	}
	return &drivers.ExitResult{ExitCode: x.ExitCode, Signal: x.Signal}, true
}

// removeNSState removes an isolated task's state dir. Its root was mounted
// only inside the task's namespace, gone with the task, so the mount point
// is an empty directory here.
func removeNSState(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}

// nsMainPid finds the host pid of the task's main process among its init's
// children (orphans adopted by the init are children too, so the pid
// inside the namespace decides). 0 means it is gone.
func nsMainPid(initPid, nsPid int) int {
	p := strconv.Itoa(initPid)
	data, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
	if err != nil {
		return 0
	}
	for _, f := range strings.Fields(string(data)) {
		if nsPidOf(f) == nsPid {
			pid, _ := strconv.Atoi(f)
			return pid
		}
	}
	return 0
}

// nsPidOf reads the innermost pid of a process from its NSpid status line.
func nsPidOf(pid string) int {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			n, _ := strconv.Atoi(f[len(f)-1])
			return n
		}
	}
	return 0
}

// signalNSMain signals an isolated task's main process; its init ignores
// every signal. A main process already gone is not an error: the task is
// ending.
func signalNSMain(t *task, sig unix.Signal) error {
	pid := nsMainPid(t.pid, t.ns.childNSPid)
	if pid == 0 {
		return nil
	}
	if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
		return fmt.Errorf("task %s: sending %s to pid %d: %w", t.id, unix.SignalName(sig), pid, err)
	}
	return nil
}
