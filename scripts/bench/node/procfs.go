package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// This file reads /proc: the process tree (to find the agent's helper
// processes and the task processes) and memory figures (VmRSS from status,
// Rss and Pss from smaps_rollup). The parsers take file contents so that
// they are unit-tested without a live process.

// proc is one process as read from /proc/<pid>.
type proc struct {
	PID       int
	PPID      int
	Comm      string
	StartTime uint64   // field 22 of stat, in clock ticks since boot: tells a reused PID apart
	Args      []string // cmdline; empty for kernel threads and processes gone meanwhile
	Exe       string   // readlink of exe; empty when not readable
}

// parseStat reads the pid, comm, ppid and start time out of /proc/<pid>/stat.
// comm may hold spaces and parentheses, so the fields after it are found
// after the last ')'.
func parseStat(data string) (proc, error) {
	open := strings.IndexByte(data, '(')
	closing := strings.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return proc{}, fmt.Errorf("stat: no (comm) in %q", data)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(data[:open]))
	if err != nil {
		return proc{}, fmt.Errorf("stat: bad pid: %w", err)
	}
	// After ") ": state(3) ppid(4) pgrp(5) ... starttime(22).
	rest := strings.Fields(data[closing+1:])
	if len(rest) < 20 {
		return proc{}, fmt.Errorf("stat: only %d fields after comm", len(rest))
	}
	ppid, err := strconv.Atoi(rest[1])
	if err != nil {
		return proc{}, fmt.Errorf("stat: bad ppid: %w", err)
	}
	start, err := strconv.ParseUint(rest[19], 10, 64)
	if err != nil {
		return proc{}, fmt.Errorf("stat: bad starttime: %w", err)
	}
	return proc{PID: pid, PPID: ppid, Comm: data[open+1 : closing], StartTime: start}, nil
}

// parseCPUTicks returns utime+stime (fields 14 and 15) of a stat line.
func parseCPUTicks(data string) (uint64, error) {
	closing := strings.LastIndexByte(data, ')')
	if closing < 0 {
		return 0, errors.New("stat: no (comm)")
	}
	rest := strings.Fields(data[closing+1:])
	if len(rest) < 13 {
		return 0, fmt.Errorf("stat: only %d fields after comm", len(rest))
	}
	u, err1 := strconv.ParseUint(rest[11], 10, 64)
	s, err2 := strconv.ParseUint(rest[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("stat: bad cpu times: %w", err)
	}
	return u + s, nil
}

// parseCmdline splits a NUL-separated /proc/<pid>/cmdline.
func parseCmdline(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\x00")
}

// memInfo is the memory of one process, in kB.
type memInfo struct {
	RSS int64 // VmRSS (status) or Rss (smaps_rollup)
	PSS int64 // proportional set size: shared pages divided among their users
}

// parseSmapsRollup reads Rss and Pss out of /proc/<pid>/smaps_rollup.
func parseSmapsRollup(data string) (memInfo, error) {
	var m memInfo
	var seenRSS, seenPSS bool
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch key {
		case "Rss":
			v, err := parseKB(val)
			if err != nil {
				return m, fmt.Errorf("smaps_rollup Rss: %w", err)
			}
			m.RSS, seenRSS = v, true
		case "Pss":
			v, err := parseKB(val)
			if err != nil {
				return m, fmt.Errorf("smaps_rollup Pss: %w", err)
			}
			m.PSS, seenPSS = v, true
		}
	}
	if !seenRSS || !seenPSS {
		return m, errors.New("smaps_rollup: no Rss or Pss line")
	}
	return m, nil
}

// parseStatusKB reads a size line such as VmRSS or VmHWM (the peak RSS)
// out of /proc/<pid>/status.
func parseStatusKB(data, key string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		if val, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			return parseKB(val)
		}
	}
	return 0, fmt.Errorf("status: no %s line", key)
}

// parseKB reads "   1234 kB".
func parseKB(s string) (int64, error) {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("want \"<n> kB\", got %q", strings.TrimSpace(s))
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// procfs reads a /proc tree; root is "/proc" except in tests.
type procfs struct{ root string }

var sysProc = procfs{root: "/proc"}

// scan reads every process. Processes that vanish while being read are
// skipped; only failing to list the directory is an error.
func (p procfs) scan() (map[int]proc, error) {
	ents, err := os.ReadDir(p.root)
	if err != nil {
		return nil, err
	}
	out := make(map[int]proc, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		pr, err := p.read(pid)
		if err != nil {
			continue
		}
		out[pid] = pr
	}
	return out, nil
}

// read reads one process.
func (p procfs) read(pid int) (proc, error) {
	dir := filepath.Join(p.root, strconv.Itoa(pid))
	st, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return proc{}, err
	}
	pr, err := parseStat(string(st))
	if err != nil {
		return proc{}, err
	}
	if cl, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		pr.Args = parseCmdline(cl)
	}
	pr.Exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	return pr, nil
}

// mem reads one process's VmRSS (status) and Rss/Pss (smaps_rollup).
// RSS is VmRSS; PSS comes from smaps_rollup.
func (p procfs) mem(pid int) (memInfo, error) {
	dir := filepath.Join(p.root, strconv.Itoa(pid))
	roll, err := os.ReadFile(filepath.Join(dir, "smaps_rollup"))
	if err != nil {
		return memInfo{}, err
	}
	m, err := parseSmapsRollup(string(roll))
	if err != nil {
		return memInfo{}, err
	}
	if st, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		if v, err := parseStatusKB(string(st), "VmRSS"); err == nil {
			m.RSS = v
		}
	}
	return m, nil
}

// peakRSS returns VmHWM, the largest RSS the process has had.
func (p procfs) peakRSS(pid int) (int64, error) {
	st, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(string(st), "VmHWM")
}

// cpuTicks returns utime+stime of a process in clock ticks.
func (p procfs) cpuTicks(pid int) (uint64, error) {
	st, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	return parseCPUTicks(string(st))
}

// countWithArg counts the processes one of whose arguments contains marker,
// reading only cmdline (cheap enough to poll with a thousand processes).
func (p procfs) countWithArg(marker string) (int, error) {
	pids, err := p.pidsWithArg(marker)
	return len(pids), err
}

// pidsWithArg lists the processes one of whose arguments contains marker.
func (p procfs) pidsWithArg(marker string) ([]int, error) {
	ents, err := os.ReadDir(p.root)
	if err != nil {
		return nil, err
	}
	m := []byte(marker)
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cl, err := os.ReadFile(filepath.Join(p.root, e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if bytes.Contains(cl, m) {
			out = append(out, pid)
		}
	}
	return out, nil
}

// descendants returns every process below root in the ppid tree, sorted.
func descendants(procs map[int]proc, root int) []int {
	children := make(map[int][]int)
	for pid, p := range procs {
		children[p.PPID] = append(children[p.PPID], pid)
	}
	var out []int
	stack := []int{root}
	seen := map[int]bool{root: true}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children[n] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				stack = append(stack, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// hasArg reports whether one of args contains marker.
func hasArg(args []string, marker string) bool {
	for _, a := range args {
		if strings.Contains(a, marker) {
			return true
		}
	}
	return false
}

// classify splits the processes that belong to an agent into helpers (driver
// plugins, executors, log shippers: what the agent costs) and tasks (what the
// user asked to run). A task process is one whose command line carries the
// benchmark's marker, and everything below it. Helpers are the agent's other
// descendants, plus processes running the agent's own binary (exe) that are
// ancestors of a task but were re-parented away from the agent (a supervisor
// that survives agent restarts), so that such a design is still charged.
func classify(procs map[int]proc, agent int, exe, marker string) (helpers, tasks []int) {
	isTask := make(map[int]bool)
	var taskRoots []int
	for pid, p := range procs {
		if hasArg(p.Args, marker) {
			isTask[pid] = true
			taskRoots = append(taskRoots, pid)
		}
	}
	for _, r := range taskRoots {
		for _, d := range descendants(procs, r) {
			isTask[d] = true
		}
	}
	helper := make(map[int]bool)
	for _, d := range descendants(procs, agent) {
		if !isTask[d] {
			helper[d] = true
		}
	}
	// Ancestors of tasks outside the agent's tree that run our binary.
	for _, r := range taskRoots {
		seen := map[int]bool{}
		for pid := procs[r].PPID; pid > 1 && !seen[pid]; pid = procs[pid].PPID {
			seen[pid] = true
			p, ok := procs[pid]
			if !ok || pid == agent {
				break
			}
			if !isTask[pid] && exe != "" && p.Exe == exe {
				helper[pid] = true
			}
		}
	}
	for pid := range helper {
		helpers = append(helpers, pid)
	}
	for pid := range isTask {
		tasks = append(tasks, pid)
	}
	slices.Sort(helpers)
	slices.Sort(tasks)
	return helpers, tasks
}

// procName is a short, readable name for a report line.
func procName(p proc) string {
	if len(p.Args) == 0 {
		return p.Comm
	}
	args := slices.Clone(p.Args)
	args[0] = filepath.Base(args[0])
	s := strings.Join(args, " ")
	if len(s) > 48 {
		s = s[:45] + "..."
	}
	return s
}

// memSample is the memory of one process at one moment.
type memSample struct {
	PID  int
	Name string
	memInfo
}

// footprint is the memory of an agent and its helpers at one moment.
type footprint struct {
	Agent   memSample
	Helpers []memSample
	Tasks   int // task processes seen (not counted in the sums)
}

// totalPSS sums the PSS of the agent and every helper: the memory the
// agent costs the machine, shared pages counted once.
func (f footprint) totalPSS() int64 {
	sum := f.Agent.PSS
	for _, h := range f.Helpers {
		sum += h.PSS
	}
	return sum
}

// totalRSS sums the RSS of the agent and every helper. Pages shared between
// them (the same binary mapped by each) are counted once per process, so
// this overstates; PSS is the fair total.
func (f footprint) totalRSS() int64 {
	sum := f.Agent.RSS
	for _, h := range f.Helpers {
		sum += h.RSS
	}
	return sum
}

// measureFootprint reads the memory of the agent and its helpers, leaving
// out task processes (marked by marker).
func (p procfs) measureFootprint(agent int, exe, marker string) (footprint, error) {
	procs, err := p.scan()
	if err != nil {
		return footprint{}, err
	}
	ap, ok := procs[agent]
	if !ok {
		return footprint{}, fmt.Errorf("agent process %d is gone", agent)
	}
	m, err := p.mem(agent)
	if err != nil {
		return footprint{}, fmt.Errorf("read memory of agent %d: %w", agent, err)
	}
	helpers, tasks := classify(procs, agent, exe, marker)
	f := footprint{Agent: memSample{PID: agent, Name: procName(ap), memInfo: m}, Tasks: len(tasks)}
	for _, h := range helpers {
		hm, err := p.mem(h)
		if err != nil {
			continue // exited meanwhile
		}
		f.Helpers = append(f.Helpers, memSample{PID: h, Name: procName(procs[h]), memInfo: hm})
	}
	return f, nil
}

// cpuTicksOf sums utime+stime of the given processes (those still alive).
func (p procfs) cpuTicksOf(pids []int) uint64 {
	var sum uint64
	for _, pid := range pids {
		if t, err := p.cpuTicks(pid); err == nil {
			sum += t
		}
	}
	return sum
}
