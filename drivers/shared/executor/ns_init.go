package executor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// nsInitArg0 is the argv[0] under which the plugin's own binary runs as an
// isolated task's init (PID 1 of the task's PID namespace). Any binary that
// links this package serves, test binaries included, so the init needs no
// separate executable on the node.
const nsInitArg0 = "appmesh-task-init"

// The files the executor hands the init beyond stdin, stdout and stderr.
const (
	nsSpecFD  = 3 // read end of a pipe carrying the nsSpec as JSON
	nsReadyFD = 4 // write end: "ok <pid>\n" once the task runs, else the error
)

// nsExit is what the init leaves in nsSpec.ExitFile when the task ends:
// as PID 1 it cannot die of the task's signal, so its own exit status
// cannot tell a task killed by SIGTERM from one that exited 143.
type nsExit struct {
	ExitCode int `json:"exit_code"`
	Signal   int `json:"signal,omitempty"`
}

func init() {
	if len(os.Args) == 0 {
		return
	}
	switch os.Args[0] {
	case nsInitArg0, nsProbeArg0:
		// Both are started with CLONE_NEWPID|CLONE_NEWNS and so are PID
		// 1. Run under these names by hand, they would remount the
		// host's own tree: refuse.
		if os.Getpid() != 1 {
			fmt.Fprintf(os.Stderr, "%s: only the exec driver starts this, in new namespaces\n", os.Args[0])
			os.Exit(2)
		}
	}
	switch os.Args[0] {
	case nsInitArg0:
		os.Exit(nsInitMain())
	case nsProbeArg0:
		os.Exit(nsProbeMain())
	}
}

// nsInitMain builds the task's root, starts the task in it and stays as its
// PID 1: it reaps whatever is orphaned inside, ignores the signals sent to
// the whole task (they reach the task's processes directly, as members of
// the same process group), and exits with the task's status once the task's
// main process ends, which makes the kernel kill everything left inside.
func nsInitMain() int {
	unix.CloseOnExec(nsSpecFD)
	unix.CloseOnExec(nsReadyFD)
	ready := os.NewFile(nsReadyFD, "ready")
	// Every signal is caught and dropped: Go's runtime would otherwise
	// exit on SIGTERM or SIGINT, ending the task with it.
	sigs := make(chan os.Signal, 128)
	signal.Notify(sigs)
	child, exitFile, err := nsSetUp()
	if err != nil {
		fmt.Fprintf(ready, "%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 127
	}
	fmt.Fprintf(ready, "ok %d\n", child)
	ready.Close()
	return nsReap(child, sigs, exitFile)
}

func nsSetUp() (int, *os.File, error) {
	specFile := os.NewFile(nsSpecFD, "spec")
	data, err := io.ReadAll(specFile)
	specFile.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("reading the task spec: %w", err)
	}
	var spec nsSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return 0, nil, fmt.Errorf("decoding the task spec: %w", err)
	}
	// Opened before the host's / goes out of reach.
	exitFile, err := os.OpenFile(spec.ExitFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, nil, fmt.Errorf("creating the exit status file: %w", err)
	}
	if err := buildRoot(&spec); err != nil {
		exitFile.Close()
		return 0, nil, fmt.Errorf("building the task's root: %w", err)
	}
	child, err := startNSChild(&spec)
	if err != nil {
		exitFile.Close()
		return 0, nil, err
	}
	return child, exitFile, nil
}

// startNSChild starts the task inside the new root, in the init's process
// group, as the task's user.
func startNSChild(s *nsSpec) (int, error) {
	path := s.Path
	if checkExecutable(path) != nil {
		// chroot_env may map a host directory elsewhere: look again inside.
		p, err := resolveCommand(s.Command, s.Dir, envPath(s.Env))
		if err != nil {
			return 0, fmt.Errorf("config: command %q is not in the task's filesystem (the client's chroot_env decides what it holds): %w", s.Command, err)
		}
		path = p
	}
	proc, err := os.StartProcess(path, s.Argv, &os.ProcAttr{
		Dir:   s.Dir,
		Env:   s.Env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Credential: s.Cred},
	})
	if err != nil {
		return 0, fmt.Errorf("starting %s: %w", path, err)
	}
	pid := proc.Pid
	_ = proc.Release()
	return pid, nil
}

// nsReap reaps every child until the task's main process is among them. A
// SIGCHLD may be dropped when the channel is full, so it also looks once a
// second.
func nsReap(child int, sigs chan os.Signal, exitFile *os.File) int {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-sigs:
		case <-tick.C:
		}
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if pid <= 0 || err != nil {
				break
			}
			if pid != child {
				continue
			}
			res := nsExit{ExitCode: ws.ExitStatus()}
			if ws.Signaled() {
				res.ExitCode, res.Signal = 128+int(ws.Signal()), int(ws.Signal())
			}
			b, _ := json.Marshal(res)
			_, _ = exitFile.Write(b)
			_ = exitFile.Close()
			return res.ExitCode
		}
	}
}

// readReady reads the init's one-line answer: the task's pid inside its
// namespace, or why it could not start.
func readReady(r io.Reader) (int, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "ok "); ok {
		var pid int
		if _, err := fmt.Sscanf(rest, "%d", &pid); err == nil && pid > 0 {
			return pid, nil
		}
	}
	if line != "" {
		return 0, fmt.Errorf("isolated start: %s", line)
	}
	if err == nil || err == io.EOF {
		return 0, fmt.Errorf("isolated start: the task's init exited without a word")
	}
	return 0, fmt.Errorf("isolated start: reading the task's init: %w", err)
}
