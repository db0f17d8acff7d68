package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// proc is a live process found in /proc.
type proc struct {
	pid     int
	cmdline string
}

// scanProcs reads every live process's command line, and which ones are
// driver plugins of the client (their environment names a log file under
// its data dir).
func scanProcs(pluginPrefix string) (all []proc, plugins []proc) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil
	}
	self := os.Getpid()
	prefix := []byte("APPMESH_PLUGIN_LOG_FILE=" + pluginPrefix)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(data) == 0 { // gone, or a zombie
			continue
		}
		p := proc{pid: pid, cmdline: strings.TrimRight(strings.ReplaceAll(string(data), "\x00", " "), " ")}
		all = append(all, p)
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil {
			for _, kv := range bytes.Split(env, []byte{0}) {
				if bytes.HasPrefix(kv, prefix) {
					plugins = append(plugins, p)
					break
				}
			}
		}
	}
	return all, plugins
}

// withMarker returns the processes whose command line is exactly marker
// (the exec'd sleep of a task).
func withMarker(ps []proc, marker string) []proc {
	var out []proc
	for _, p := range ps {
		if p.cmdline == marker {
			out = append(out, p)
		}
	}
	return out
}

func pids(ps []proc) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.pid)
	}
	sort.Ints(out)
	return out
}

// openFDs counts a process's open file descriptors.
func openFDs(pid int) int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(entries)
}

// threads reads a process's thread count from /proc/PID/status.
func threads(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// cgroupRoots are the directories that hold appmesh's task cgroups: the
// v2 tree or each v1 controller's.
func cgroupRoots() []string {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/appmesh")
	if fi, err := os.Stat("/sys/fs/cgroup/appmesh"); err == nil && fi.IsDir() {
		roots = append(roots, "/sys/fs/cgroup/appmesh")
	}
	return roots
}

// taskCgroups lists the task cgroups (root/name) that belong to one of
// the run's allocations: named "<alloc id>-<task>". Other agents on the
// machine have cgroups there too; they are not counted.
func taskCgroups(allocIDs map[string]bool) []string {
	var out []string
	for _, root := range cgroupRoots() {
		entries, err := os.ReadDir(root)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() || len(e.Name()) < 36 {
				continue
			}
			if allocIDs[e.Name()[:36]] {
				out = append(out, filepath.Join(root, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

// mountsUnder lists the mount points under dir in this process's mount
// namespace (the agent and its plugins share it).
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}

// containers lists the job's containers, running or not, as "ID state".
func containers(jobID string) ([]string, error) {
	out, err := exec.Command("docker", "ps", "-a", "--no-trunc", "--filter", "label=appmesh.job_id="+jobID,
		"--format", "{{.ID}} {{.State}}").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("docker ps: %v: %s", err, out)
	}
	var list []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			list = append(list, l)
		}
	}
	sort.Strings(list)
	return list, nil
}
