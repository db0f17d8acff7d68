package exec

import (
	"bufio"
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/drivertest"
	"github.com/appmesh/appmesh/drivers/shared/executor"
	"github.com/appmesh/appmesh/structs"
)

// These tests run the exec driver's cgroup v2 code against whatever cgroup2
// hierarchy this machine mounts: /sys/fs/cgroup on a unified host (all
// controllers, usually), /sys/fs/cgroup/unified on a hybrid one (no memory,
// cpu or cpuset controller). Assertions that depend on a controller check
// for it and assert the other behaviour (a refusal, a warning) without it.

// v2Mount returns the cgroup2 mountpoint, preferring /sys/fs/cgroup.
func v2Mount(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("cgroup v2 tests create cgroups and need root (euid %d)", os.Geteuid())
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatalf("reading mounts: %v", err)
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "... <mount point> <options> ... - <fs type> <source> ..."
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep > 0 && sep+1 < len(fields) && fields[sep+1] == "cgroup2" {
			mounts = append(mounts, fields[4])
		}
	}
	switch {
	case slices.Contains(mounts, defaultV2Mount):
		return defaultV2Mount
	case len(mounts) > 0:
		return mounts[0]
	}
	t.Skip("SKIP: no cgroup2 filesystem mounted (a cgroup v1-only host); the v2 code path cannot run here")
	return ""
}

type v2Env struct {
	mount string
	be    *v2
	d     drivers.Driver
	logs  *drivertest.SyncBuffer
	have  []string // controllers the task cgroups get
}

func (e *v2Env) has(c string) bool { return slices.Contains(e.have, c) }

// newV2Driver is the exec driver with its isolation forced onto the
// cgroup2 hierarchy.
func newV2Driver(t *testing.T) *v2Env {
	t.Helper()
	mount := v2Mount(t)
	logs := &drivertest.SyncBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})
	iso, err := newCgroupIsolation(cgroupOptions{v2Mount: mount, logger: logger})
	if err != nil {
		t.Fatalf("cgroup v2 isolation at %s: %v", mount, err)
	}
	be := iso.be.(*v2)
	have, why, err := be.enable()
	if err != nil {
		t.Fatalf("enable controllers at %s: %v", mount, err)
	}
	t.Logf("cgroup v2 at %s; task cgroups get controllers %q (root offers %q; %v)",
		mount, have, readOrEmpty(filepath.Join(mount, "cgroup.controllers")), why)
	return &v2Env{mount: mount, be: be, d: executor.NewDriver(Name, logger, iso), logs: logs, have: have}
}

func readOrEmpty(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func v2Task(t *testing.T, id string, res *structs.Resources, script string) *drivers.TaskConfig {
	dir := t.TempDir()
	return &drivers.TaskConfig{
		ID: id, TaskName: "t", Resources: res, TaskDir: dir,
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		StdoutPath: filepath.Join(dir, "t.stdout.0"),
		StderrPath: filepath.Join(dir, "t.stderr.0"),
	}
}

func uniqueID(prefix string) string { return fmt.Sprintf("%s%d/t", prefix, time.Now().UnixNano()) }

func pollUntil(t *testing.T, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, state())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func alive(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// TestV2TaskLifecycle: the task is born in its own v2 cgroup, its children
// and a child that left the process group are in it, stats read what v2
// offers, stop kills the whole tree and the cgroup is removed.
func TestV2TaskLifecycle(t *testing.T) {
	e := newV2Driver(t)
	cfg := v2Task(t, uniqueID("v2life"), &structs.Resources{CPU: 500},
		// The shell's first act records its own cgroup: it must already be
		// the task's, not the plugin's.
		`cat /proc/$$/cgroup > cg; setsid sleep 300 & sleep 300 & wait`)
	name := cgroupName(cfg.ID)
	dir := filepath.Join(e.mount, parentCgroup, name)
	if _, err := e.d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer e.d.DestroyTask(cfg.ID, true)

	var pids []string
	pollUntil(t, "three processes in the v2 cgroup", func() bool {
		pids = strings.Fields(readOrEmpty(filepath.Join(dir, "cgroup.procs")))
		return len(pids) == 3
	}, func() string { return fmt.Sprintf("cgroup.procs = %v, stderr %q", pids, readOrEmpty(cfg.StderrPath)) })
	if got, want := readOrEmpty(filepath.Join(cfg.TaskDir, "cg")), "0::/"+parentCgroup+"/"+name; !strings.Contains(got, want) {
		t.Errorf("the task's shell started in cgroup %q, want %q", got, want)
	}

	if e.has("cpu") {
		if got, want := readOrEmpty(filepath.Join(dir, "cpu.weight")), fmt.Sprint(weightOf(500)); got != want {
			t.Errorf("cpu.weight = %q, want %q", got, want)
		}
	} else if logs := e.logs.String(); !strings.Contains(logs, "no cpu controller for task cgroups") {
		t.Errorf("no cpu controller, yet no warning that cpu is not applied; logs:\n%s", logs)
	}

	u, err := e.d.TaskStats(cfg.ID)
	if err != nil {
		t.Fatalf("TaskStats without some controllers must degrade, not fail: %v", err)
	}
	t.Logf("stats: %+v", u)
	if u.PIDs != 3 || !slices.Contains(u.Measured, "cpu") || !slices.Contains(u.Measured, "memory") || u.MemoryRSSBytes == 0 {
		t.Errorf("stats = %+v, want 3 pids, cpu and memory measured, resident memory > 0", u)
	}
	if e.has("memory") && (u.MemoryLimitBytes == 0 || u.MemoryUsageBytes == 0) {
		t.Errorf("with the memory controller, stats = %+v lack memory.current/memory.max", u)
	}

	if err := e.d.StopTask(cfg.ID, 2*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.d.WaitTask(ctx, cfg.ID); err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %s still runs after stop", pid)
		}
	}
	if err := e.d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s left behind: %v", dir, err)
	}
}

// TestV2ExecJoinsTaskCgroup: ExecTask's command runs in the task's cgroup.
func TestV2ExecJoinsTaskCgroup(t *testing.T) {
	e := newV2Driver(t)
	cfg := v2Task(t, uniqueID("v2exec"), nil, "exec sleep 300")
	if _, err := e.d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer e.d.DestroyTask(cfg.ID, true)
	r, err := e.d.ExecTask(cfg.ID, []string{"/bin/cat", "/proc/self/cgroup"}, 10*time.Second)
	if err != nil {
		t.Fatalf("ExecTask: %v", err)
	}
	if want := "0::/" + parentCgroup + "/" + cgroupName(cfg.ID) + "\n"; !strings.Contains(string(r.Stdout), want) {
		t.Errorf("exec ran in %q, want the task's cgroup %q", r.Stdout, want)
	}
}

// TestV2LimitsNeedTheirControllers: a memory limit or reserved cores are
// applied when the hierarchy has the controller, and refused with an
// error naming it when not: never a task silently running unlimited.
func TestV2LimitsNeedTheirControllers(t *testing.T) {
	e := newV2Driver(t)
	cases := []struct {
		name, controller, file, want, msg string
		res                               *structs.Resources
	}{
		{"memory", "memory", "memory.max", fmt.Sprint(64 << 20), "a memory limit (64 MB) needs the memory controller",
			&structs.Resources{CPU: 100, MemoryMB: 64}},
		{"memory_max", "memory", "memory.low", fmt.Sprint(32 << 20), "a memory limit (64 MB) needs the memory controller",
			&structs.Resources{CPU: 100, MemoryMB: 32, MemoryMaxMB: 64}},
		{"cores", "cpuset", "cpuset.cpus", "0", "reserving 1 cores needs the cpuset controller",
			&structs.Resources{CPU: 100, Cores: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := v2Task(t, uniqueID("v2lim"+tc.name), tc.res, "touch ran; exec sleep 300")
			dir := filepath.Join(e.mount, parentCgroup, cgroupName(cfg.ID))
			_, err := e.d.StartTask(cfg)
			if e.has(tc.controller) {
				if err != nil {
					t.Fatalf("StartTask with the %s controller: %v", tc.controller, err)
				}
				defer e.d.DestroyTask(cfg.ID, true)
				if got := readOrEmpty(filepath.Join(dir, tc.file)); got != tc.want {
					t.Errorf("%s = %q, want %q", tc.file, got, tc.want)
				}
				return
			}
			if err == nil {
				e.d.DestroyTask(cfg.ID, true)
				t.Fatalf("StartTask without the %s controller succeeded: the task would run without its limit", tc.controller)
			}
			t.Logf("refused: %v", err)
			for _, w := range []string{tc.msg, e.mount} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, serr := os.Stat(filepath.Join(cfg.TaskDir, "ran")); serr == nil {
				t.Errorf("the refused task ran")
			}
			if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
				t.Errorf("refused task left cgroup %s: %v", dir, serr)
			}
		})
	}
}

// startIn starts `sh -c script` directly inside a v2 cgroup and reaps it
// in the background.
func startIn(t *testing.T, be *v2, name, script string) {
	t.Helper()
	sys := &syscall.SysProcAttr{Setpgid: true}
	started, err := be.join(name, sys)
	if err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = sys
	err = cmd.Start()
	_ = started(0)
	if err != nil {
		t.Fatalf("start in cgroup %s: %v", name, err)
	}
	go func() { _ = cmd.Wait() }()
}

// TestV2KillPaths runs each way of killing a cgroup on its own (cgroup.kill,
// and the freeze-and-kill fallback for kernels before 5.14) and checks that
// it alone empties a cgroup whose processes fork and left their group.
func TestV2KillPaths(t *testing.T) {
	mount := v2Mount(t)
	be, err := newV2(mount, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []struct {
		name string
		kill func(string) error
	}{{"cgroup.kill", be.killByFile}, {"freeze", be.killFrozen}} {
		t.Run(path.name, func(t *testing.T) {
			name := fmt.Sprintf("killtest-%s-%d", strings.ReplaceAll(path.name, ".", ""), os.Getpid())
			if err := be.create(name, &limits{shares: 1024}); err != nil {
				t.Fatalf("create cgroup: %v", err)
			}
			t.Cleanup(func() { _ = be.kill(name); _ = be.remove(name) })
			startIn(t, be, name, "setsid sleep 300 & (while :; do sleep 1; done) & sleep 300 & wait")
			var pids []int
			pollUntil(t, "processes in the cgroup", func() bool {
				pids, _ = be.procs(name)
				return len(pids) >= 4
			}, func() string { return fmt.Sprint(pids) })
			if err := path.kill(name); err != nil {
				t.Fatalf("%s: %v", path.name, err)
			}
			// Only the chosen path may kill: no killAll loop here.
			pollUntil(t, "an empty cgroup after "+path.name, func() bool {
				pids, _ = be.procs(name)
				return len(pids) == 0
			}, func() string { return fmt.Sprint(pids) })
			if frozen := readOrEmpty(filepath.Join(be.dir(name), "cgroup.freeze")); frozen != "0" {
				t.Errorf("cgroup.freeze = %q after kill, want thawed", frozen)
			}
		})
	}
}

// TestV2OOMKilled: with the memory controller, a task over its limit ends
// OOM killed (memory.events); without it the task is refused before it
// runs, as TestV2LimitsNeedTheirControllers checks.
func TestV2OOMKilled(t *testing.T) {
	e := newV2Driver(t)
	cfg := v2Task(t, uniqueID("v2oom"), &structs.Resources{CPU: 100, MemoryMB: 32}, "")
	// The test binary's TestMain allocates this many MB and exits.
	cfg.Config = map[string]any{"command": os.Args[0]}
	cfg.Env = map[string]string{"APPMESH_TEST_HOG_MB": "200"}
	_, err := e.d.StartTask(cfg)
	if !e.has("memory") {
		if err == nil || !strings.Contains(err.Error(), "needs the memory controller") {
			e.d.DestroyTask(cfg.ID, true)
			t.Fatalf("StartTask without the memory controller = %v, want a refusal naming it", err)
		}
		t.Logf("no memory controller at %s: the hog was refused (%v), it cannot be OOM killed here", e.mount, err)
		return
	}
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer e.d.DestroyTask(cfg.ID, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := e.d.WaitTask(ctx, cfg.ID)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	if !res.OOMKilled || res.Err != "OOM killed" {
		t.Fatalf("exit = %+v (stdout %q), want OOM killed", res, readOrEmpty(cfg.StdoutPath))
	}
}
