package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// statLine builds a /proc/<pid>/stat line with the given comm, ppid,
// utime, stime and start time (the other fields are filler).
func statLine(pid int, comm string, ppid int, utime, stime, start uint64) string {
	f := make([]string, 50)
	for i := range f {
		f[i] = "0"
	}
	// Fields after comm, 0-based: state, ppid, ... utime=11, stime=12, starttime=19.
	f[0] = "S"
	f[1] = strconv.Itoa(ppid)
	f[11] = strconv.FormatUint(utime, 10)
	f[12] = strconv.FormatUint(stime, 10)
	f[19] = strconv.FormatUint(start, 10)
	return strconv.Itoa(pid) + " (" + comm + ") " + strings.Join(f, " ") + "\n"
}

func TestParseStat(t *testing.T) {
	p, err := parseStat(statLine(42, "appmesh", 7, 1, 2, 999))
	if err != nil {
		t.Fatal(err)
	}
	if p.PID != 42 || p.PPID != 7 || p.Comm != "appmesh" || p.StartTime != 999 {
		t.Fatalf("parseStat = %+v", p)
	}
	// comm may hold spaces and parentheses.
	p, err = parseStat(statLine(5, "a) (b c)", 3, 0, 0, 11))
	if err != nil {
		t.Fatal(err)
	}
	if p.Comm != "a) (b c)" || p.PPID != 3 || p.StartTime != 11 {
		t.Fatalf("parseStat with odd comm = %+v", p)
	}
	ticks, err := parseCPUTicks(statLine(5, "x y", 3, 40, 2, 11))
	if err != nil || ticks != 42 {
		t.Fatalf("parseCPUTicks = %d, %v; want 42", ticks, err)
	}
	// A real line from this machine's kernel.
	real := "19151 (appmesh) S 1 19151 19151 0 -1 4194560 5853 0 0 0 33 19 0 0 20 0 9 0 1234567 1358266368 6084 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0"
	p, err = parseStat(real)
	if err != nil || p.PPID != 1 || p.StartTime != 1234567 {
		t.Fatalf("parseStat(real) = %+v, %v", p, err)
	}
	if ticks, err := parseCPUTicks(real); err != nil || ticks != 52 {
		t.Fatalf("parseCPUTicks(real) = %d, %v; want 52", ticks, err)
	}
}

func TestParseStatRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "42 appmesh S 1", "x (a) S 1 2 3", "42 (a) S", "42 (a) S zz " + strings.Repeat("0 ", 30)} {
		if _, err := parseStat(in); err == nil {
			t.Errorf("parseStat(%q) succeeded", in)
		}
	}
	if _, err := parseCPUTicks("42 (a) S 1"); err == nil {
		t.Error("parseCPUTicks of a short line succeeded")
	}
}

func TestParseCmdline(t *testing.T) {
	got := parseCmdline([]byte("/bin/sleep\x0086400.123\x00"))
	if !slices.Equal(got, []string{"/bin/sleep", "86400.123"}) {
		t.Fatalf("parseCmdline = %q", got)
	}
	if got := parseCmdline(nil); got != nil {
		t.Fatalf("parseCmdline(kernel thread) = %q", got)
	}
}

const rollup = `55d0c9e6b000-7ffd33ffe000 ---p 00000000 00:00 0                          [rollup]
Rss:               24576 kB
Pss:               11878 kB
Pss_Dirty:          9000 kB
Pss_Anon:           8000 kB
Shared_Clean:      12000 kB
Private_Dirty:      9000 kB
Swap:                  0 kB
SwapPss:               0 kB
`

func TestParseSmapsRollup(t *testing.T) {
	m, err := parseSmapsRollup(rollup)
	if err != nil {
		t.Fatal(err)
	}
	// Pss_Dirty and friends must not be taken for Pss.
	if m.RSS != 24576 || m.PSS != 11878 {
		t.Fatalf("parseSmapsRollup = %+v", m)
	}
	if _, err := parseSmapsRollup("Rss: 1 kB\n"); err == nil {
		t.Fatal("a rollup without Pss parsed")
	}
	if _, err := parseSmapsRollup("Rss: 1 kB\nPss: lots kB\n"); err == nil {
		t.Fatal("a bad Pss value parsed")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tappmesh\nVmPeak:\t 1300000 kB\nVmHWM:\t   31000 kB\nVmRSS:\t   24000 kB\nThreads:\t9\n"
	if v, err := parseStatusKB(status, "VmRSS"); err != nil || v != 24000 {
		t.Fatalf("VmRSS = %d, %v", v, err)
	}
	if v, err := parseStatusKB(status, "VmHWM"); err != nil || v != 31000 {
		t.Fatalf("VmHWM = %d, %v", v, err)
	}
	if _, err := parseStatusKB("Name:\tx\n", "VmRSS"); err == nil {
		t.Fatal("a status without VmRSS (a kernel thread) parsed")
	}
	for _, bad := range []string{"12", "12 MB", "x kB", ""} {
		if _, err := parseKB(bad); err == nil {
			t.Errorf("parseKB(%q) succeeded", bad)
		}
	}
}

// A tree: 1 init; 100 agent; 101 exec plugin, 102 docker plugin (agent's
// children); 200, 201 tasks under the exec plugin, 202 a child of task 201;
// 300 a supervisor running the agent's binary, re-parented to init, with
// task 301 below it; 400 an unrelated process running the same binary
// (another engineer's agent); 500 another process of ours not a task.
func testTree() map[int]proc {
	const exe = "/work/bin/appmesh"
	const mark = "86400.777"
	return map[int]proc{
		1:   {PID: 1, PPID: 0, Args: []string{"/sbin/init"}},
		100: {PID: 100, PPID: 1, Args: []string{exe, "agent", "-dev"}, Exe: exe},
		101: {PID: 101, PPID: 100, Args: []string{exe, "driver-plugin", "exec"}, Exe: exe},
		102: {PID: 102, PPID: 100, Args: []string{exe, "driver-plugin", "docker"}, Exe: exe},
		200: {PID: 200, PPID: 101, Args: []string{"/bin/sleep", mark + "01"}, Exe: "/bin/sleep"},
		201: {PID: 201, PPID: 101, Args: []string{"/bin/sh", "-c", "sleep " + mark + "02"}, Exe: "/bin/sh"},
		202: {PID: 202, PPID: 201, Args: []string{"/bin/cat"}, Exe: "/bin/cat"},
		300: {PID: 300, PPID: 1, Args: []string{exe, "supervisor"}, Exe: exe},
		301: {PID: 301, PPID: 300, Args: []string{"/bin/sleep", mark + "03"}, Exe: "/bin/sleep"},
		400: {PID: 400, PPID: 1, Args: []string{exe, "driver-plugin", "exec"}, Exe: exe},
		500: {PID: 500, PPID: 101, Args: []string{exe, "logmon"}, Exe: exe},
	}
}

func TestDescendants(t *testing.T) {
	got := descendants(testTree(), 100)
	want := []int{101, 102, 200, 201, 202, 500}
	if !slices.Equal(got, want) {
		t.Fatalf("descendants(100) = %v, want %v", got, want)
	}
	if got := descendants(testTree(), 202); len(got) != 0 {
		t.Fatalf("descendants of a leaf = %v", got)
	}
	// A ppid loop (pid reuse while scanning) must not hang.
	loop := map[int]proc{1: {PID: 1, PPID: 2}, 2: {PID: 2, PPID: 1}}
	if got := descendants(loop, 1); !slices.Equal(got, []int{2}) {
		t.Fatalf("descendants with a loop = %v", got)
	}
}

func TestClassify(t *testing.T) {
	helpers, tasks := classify(testTree(), 100, "/work/bin/appmesh", "86400.777")
	if want := []int{101, 102, 300, 500}; !slices.Equal(helpers, want) {
		t.Errorf("helpers = %v, want %v (plugins, the logmon, and the re-parented supervisor)", helpers, want)
	}
	if want := []int{200, 201, 202, 301}; !slices.Equal(tasks, want) {
		t.Errorf("tasks = %v, want %v (marked processes and their children)", tasks, want)
	}
	// Without the binary's path, only the agent's own tree counts.
	helpers, _ = classify(testTree(), 100, "", "86400.777")
	if want := []int{101, 102, 500}; !slices.Equal(helpers, want) {
		t.Errorf("helpers without exe = %v, want %v", helpers, want)
	}
}

func TestFootprintSums(t *testing.T) {
	f := footprint{
		Agent: memSample{memInfo: memInfo{RSS: 24000, PSS: 12000}},
		Helpers: []memSample{
			{memInfo: memInfo{RSS: 20000, PSS: 8000}},
			{memInfo: memInfo{RSS: 19000, PSS: 7500}},
		},
	}
	if got := f.totalPSS(); got != 27500 {
		t.Errorf("totalPSS = %d", got)
	}
	if got := f.totalRSS(); got != 63000 {
		t.Errorf("totalRSS = %d", got)
	}
	if got := (footprint{}).totalPSS(); got != 0 {
		t.Errorf("empty totalPSS = %d", got)
	}
}

func TestProcName(t *testing.T) {
	p := proc{Comm: "appmesh", Args: []string{"/work/main/bin/appmesh", "driver-plugin", "exec"}}
	if got := procName(p); got != "appmesh driver-plugin exec" {
		t.Errorf("procName = %q", got)
	}
	if got := procName(proc{Comm: "kworker/0:1"}); got != "kworker/0:1" {
		t.Errorf("procName without cmdline = %q", got)
	}
	long := proc{Args: []string{"x", strings.Repeat("a", 100)}}
	if got := procName(long); len(got) != 48 {
		t.Errorf("procName of a long cmdline is %d chars", len(got))
	}
}

// writeFakeProc lays out a /proc-like tree for the given processes.
func writeFakeProc(t *testing.T, procs map[int]proc, mem map[int]memInfo) string {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid))
		must(t, os.MkdirAll(dir, 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "stat"), []byte(statLine(pid, "c", p.PPID, uint64(pid), 1, 1000+uint64(pid))), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(p.Args, "\x00")+"\x00"), 0o644))
		if p.Exe != "" {
			must(t, os.Symlink(p.Exe, filepath.Join(dir, "exe")))
		}
		if m, ok := mem[pid]; ok {
			must(t, os.WriteFile(filepath.Join(dir, "smaps_rollup"),
				[]byte("00-ff ---p 0 00:00 0 [rollup]\nRss: "+strconv.FormatInt(m.RSS+5, 10)+" kB\nPss: "+strconv.FormatInt(m.PSS, 10)+" kB\n"), 0o644))
			must(t, os.WriteFile(filepath.Join(dir, "status"),
				[]byte("Name:\tc\nVmHWM:\t"+strconv.FormatInt(m.RSS*2, 10)+" kB\nVmRSS:\t"+strconv.FormatInt(m.RSS, 10)+" kB\n"), 0o644))
		}
	}
	// Non-process entries are ignored.
	must(t, os.WriteFile(filepath.Join(root, "meminfo"), []byte("MemTotal: 1 kB\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "sys"), 0o755))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestProcfsOnAFakeTree(t *testing.T) {
	tree := testTree()
	mem := map[int]memInfo{
		100: {RSS: 24000, PSS: 12000},
		101: {RSS: 20000, PSS: 8000},
		102: {RSS: 20000, PSS: 8000},
		300: {RSS: 3000, PSS: 1000},
		500: {RSS: 2000, PSS: 500},
		200: {RSS: 700, PSS: 100}, // a task: never counted
	}
	fs := procfs{root: writeFakeProc(t, tree, mem)}
	procs, err := fs.scan()
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != len(tree) {
		t.Fatalf("scan found %d processes, want %d", len(procs), len(tree))
	}
	if p := procs[201]; p.PPID != 101 || !slices.Equal(p.Args, tree[201].Args) || p.StartTime != 1201 {
		t.Fatalf("scan read 201 as %+v", p)
	}
	n, err := fs.countWithArg("86400.777")
	if err != nil || n != 3 {
		t.Fatalf("countWithArg = %d, %v; want 3", n, err)
	}
	if n, _ := fs.countWithArg("86400.77702"); n != 1 {
		t.Fatalf("countWithArg of one job = %d, want 1", n)
	}
	f, err := fs.measureFootprint(100, "/work/bin/appmesh", "86400.777")
	if err != nil {
		t.Fatal(err)
	}
	// VmRSS (status) wins over smaps_rollup's Rss for the RSS figure.
	if f.Agent.RSS != 24000 || f.Agent.PSS != 12000 {
		t.Errorf("agent = %+v", f.Agent)
	}
	if got := f.totalPSS(); got != 12000+8000+8000+1000+500 {
		t.Errorf("totalPSS = %d (tasks must not count)", got)
	}
	if f.Tasks != 4 || len(f.Helpers) != 4 {
		t.Errorf("footprint saw %d tasks and %d helpers, want 4 and 4", f.Tasks, len(f.Helpers))
	}
	if peak, err := fs.peakRSS(100); err != nil || peak != 48000 {
		t.Errorf("peakRSS = %d, %v", peak, err)
	}
	if got := fs.cpuTicksOf([]int{100, 101, 999}); got != 101+102 {
		t.Errorf("cpuTicksOf = %d, want %d (a missing pid counts 0)", got, 101+102)
	}
	if _, err := fs.measureFootprint(999, "", "x"); err == nil {
		t.Error("measureFootprint of a missing agent succeeded")
	}
}

func TestCPUSnapshotDeltas(t *testing.T) {
	before := cpuSnapshot{agent: 100, helpers: map[int]uint64{1: 50, 2: 10}}
	after := cpuSnapshot{agent: 250, helpers: map[int]uint64{1: 80, 3: 20}}
	if got := before.agentDelta(after); got != 1.5 {
		t.Errorf("agentDelta = %v", got)
	}
	// helper 1 grew 30, helper 3 is new (20), helper 2 exited (lost).
	if got := before.helperDelta(after); got != 0.5 {
		t.Errorf("helperDelta = %v", got)
	}
}
