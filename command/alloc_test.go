package command

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// addAlloc stores an allocation with the given tasks' states and logs.
func addAlloc(f *fakeCluster, id string, tasks ...string) {
	f.write(func(index uint64) {
		states := map[string]*structs.TaskState{}
		for _, task := range tasks {
			code := 0
			states[task] = &structs.TaskState{State: structs.TaskStateRunning, Events: []*structs.TaskEvent{
				{Type: structs.TaskEventReceived, Time: 1},
				{Type: structs.TaskEventTerminated, Time: 2, ExitCode: &code, Message: "exited"},
			}}
			f.logs[id+"/"+task+"/stdout"] = "one\ntwo\nthree\n"
			f.logs[id+"/"+task+"/stderr"] = "oops\n"
		}
		f.allocs[id] = &structs.Allocation{ID: id, JobID: "hello", TaskGroup: "web", NodeName: "node1",
			ClientStatus: structs.AllocClientRunning, DesiredStatus: structs.AllocDesiredRun,
			TaskStates: states, CreateIndex: index}
	})
}

func TestAllocStatus(t *testing.T) {
	f, ui := newFakeCluster(t)
	addAlloc(f, "aaaa1111-0000-4000-8000-000000000001", "server")
	addAlloc(f, "aaaa2222-0000-4000-8000-000000000002", "server")

	code, out, stderr := runCmd(ui, "alloc", "status", "aaaa1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"aaaa1111-0000-4000-8000-000000000001", `Task "server" is "running"`,
		"Recent Events:", "Terminated", "exited; exit code 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, _, stderr = runCmd(ui, "alloc", "status", "aaaa")
	if code != 1 || !strings.Contains(stderr, `Prefix "aaaa" matches 2 allocations`) {
		t.Fatalf("ambiguous prefix: exit %d %q", code, stderr)
	}
	code, _, stderr = runCmd(ui, "alloc", "status", "zzzz")
	if code != 1 || !strings.Contains(stderr, `No allocation with ID or prefix "zzzz"`) {
		t.Fatalf("unknown: exit %d %q", code, stderr)
	}
}

func TestAllocLogs(t *testing.T) {
	f, ui := newFakeCluster(t)
	addAlloc(f, "bbbb1111-0000-4000-8000-000000000001", "server")
	addAlloc(f, "cccc1111-0000-4000-8000-000000000001", "server", "sidecar")

	for _, tc := range []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"bbbb"}, 0, "one\ntwo\nthree\n", ""},
		{[]string{"-stderr", "bbbb", "server"}, 0, "oops\n", ""},
		{[]string{"-n", "2", "bbbb"}, 0, "two\nthree\n", ""},
		{[]string{"-tail", "-f", "bbbb"}, 0, "one\ntwo\nthree\n", ""},
		{[]string{"-f", "bbbb"}, 0, "one\ntwo\nthree\n", ""},
		{[]string{"cccc", "sidecar"}, 0, "one\ntwo\nthree\n", ""},
		{[]string{"cccc"}, 1, "", "has 2 tasks (server, sidecar)"},
		{[]string{"bbbb", "nope"}, 1, "", `task "nope" of allocation`},
	} {
		ui.OutputWriter.Reset()
		ui.ErrorWriter.Reset()
		code, out, stderr := runCmd(ui, append([]string{"alloc", "logs"}, tc.args...)...)
		if code != tc.code || out != tc.out || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit %d (want %d), output %q (want %q), stderr %q (want %q)",
				tc.args, code, tc.code, out, tc.out, stderr, tc.err)
		}
	}
}

func TestLastLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb\n"},
		{"", 3, ""},
		{"partial line\nfull\n", 1, "full\n"},
	} {
		if got := string(lastLines([]byte(tc.in), tc.n)); got != tc.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestNodeStatus(t *testing.T) {
	f, ui := newFakeCluster(t)
	f.write(func(uint64) {
		f.nodes["nnnn1111-0000-4000-8000-000000000001"] = &structs.Node{
			ID: "nnnn1111-0000-4000-8000-000000000001", Name: "node1", Datacenter: "dc1",
			Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeEligible,
			Drivers: map[string]*structs.DriverInfo{"exec": {Detected: true, Healthy: true},
				"docker": {Detected: true, Healthy: false, HealthDescription: "daemon not running"}},
			Resources: &structs.NodeResources{CPU: 4000, Cores: 2, MemoryMB: 2048},
		}
	})
	code, out, _ := runCmd(ui, "node", "status")
	if code != 0 || !strings.Contains(out, "nnnn1111") || !strings.Contains(out, "ready") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	ui.OutputWriter.Reset()
	code, out, _ = runCmd(ui, "node", "status", "node1")
	for _, want := range []string{"Drivers", "exec", "docker: daemon not running", "4000 MHz (2 cores)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("detail: exit %d, lacks %q:\n%s", code, want, out)
		}
	}
}
