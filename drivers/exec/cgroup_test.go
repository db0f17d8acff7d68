package exec_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/exec"
	"github.com/appmesh/appmesh/drivers/shared/executor"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

const hogEnv = "APPMESH_TEST_HOG_MB"

// TestMain lets the test binary double as a memory hog task.
func TestMain(m *testing.M) {
	if mb := os.Getenv(hogEnv); mb != "" {
		var n int
		fmt.Sscan(mb, &n)
		hog := make([][]byte, 0, n)
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = 1 // touch every page
			}
			hog = append(hog, b)
		}
		fmt.Println("allocated", len(hog), "MB")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// memCgroup is the task's cgroup directory in the v1 memory controller.
func memCgroup(t *testing.T, id string) string {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/memory"); err != nil {
		t.Skipf("this test reads cgroup v1 files; /sys/fs/cgroup/memory is missing: %v", err)
	}
	return filepath.Join("/sys/fs/cgroup/memory/appmesh", strings.ReplaceAll(id, "/", "-"))
}

func newExec(t *testing.T) drivers.Driver {
	t.Helper()
	d := exec.New(hclog.NewNullLogger())
	fp, _ := d.Fingerprint(context.Background())
	if !fp.Healthy {
		t.Fatalf("exec driver unhealthy: %s", fp.HealthDescription)
	}
	return d
}

func task(t *testing.T, id string, res *structs.Resources, cmd string, args ...string) *drivers.TaskConfig {
	dir, err := os.MkdirTemp("", "appmesh-exec-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Readable by the task's user (nobody) too.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return &drivers.TaskConfig{
		ID: id, TaskName: "t", Resources: res, TaskDir: dir,
		Config:     map[string]any{"command": cmd, "args": a},
		StdoutPath: filepath.Join(dir, "t.stdout.0"),
		StderrPath: filepath.Join(dir, "t.stderr.0"),
	}
}

func waitTask(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	return res
}

func TestOOMKilled(t *testing.T) {
	d := newExec(t)
	cfg := task(t, "oom/hog", &structs.Resources{CPU: 100, MemoryMB: 32}, os.Args[0])
	withTestBinary(cfg)
	cfg.Env = map[string]string{hogEnv: "200"}
	dir := memCgroup(t, cfg.ID)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	res := waitTask(t, d, cfg.ID)
	if !res.OOMKilled || res.Err != "OOM killed" {
		out, _ := os.ReadFile(cfg.StdoutPath)
		t.Fatalf("exit = %+v (stdout %q), want OOM killed", res, out)
	}
	t.Logf("exit: %+v", res)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("cgroup %s left behind after exit: %v", dir, err)
	}
}

func TestLimitsStopAndCleanup(t *testing.T) {
	d := newExec(t)
	res := &structs.Resources{CPU: 500, MemoryMB: 64, MemoryMaxMB: 128, Cores: 1}
	// setsid puts a sleep out of the task's process group: only the cgroup
	// still holds it.
	cfg := task(t, "lim/a", res, "/bin/sh", "-c", "setsid sleep 300 & sleep 300 & echo $$ > pid; wait")
	dir := memCgroup(t, cfg.ID)
	// Other packages' tests run at the same time and may pin every core of
	// a small machine for a while (the docker driver's pin test holds two):
	// wait for a free one instead of failing.
	var startErr error
	waitUntil(t, "a free core to pin", func() bool {
		_, startErr = d.StartTask(cfg)
		return startErr == nil || !strings.Contains(startErr.Error(), "free")
	}, func() string { return fmt.Sprint(startErr) })
	if startErr != nil {
		t.Fatal(startErr)
	}
	defer d.DestroyTask(cfg.ID, true)
	want := map[string]string{
		"memory/appmesh/lim-a/memory.limit_in_bytes":      fmt.Sprint(128 << 20),
		"memory/appmesh/lim-a/memory.soft_limit_in_bytes": fmt.Sprint(64 << 20),
		"cpu/appmesh/lim-a/cpu.shares":                    "500",
	}
	for file, v := range want {
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", file))
		if err != nil || strings.TrimSpace(string(b)) != v {
			t.Errorf("%s = %q (%v), want %q", file, b, err, v)
		}
	}
	// One whole core; which one depends on what else the host pins now
	// (tests of the docker driver may hold one).
	if b, err := os.ReadFile("/sys/fs/cgroup/cpuset/appmesh/lim-a/cpuset.cpus"); err != nil {
		t.Errorf("cpuset of the task: %v", err)
	} else if _, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		t.Errorf("cpuset.cpus = %q, want one core", b)
	}
	var pids []string
	// The task's init, its shell and the two sleeps.
	waitUntil(t, "four processes in the cgroup", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		pids = strings.Fields(string(b))
		return len(pids) == 4
	}, func() string {
		errs, _ := os.ReadFile(cfg.StderrPath)
		return fmt.Sprintf("cgroup.procs = %v, stderr %q", pids, errs)
	})
	if err := d.StopTask(cfg.ID, 2*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	waitTask(t, d, cfg.ID)
	for _, pid := range pids {
		// A zombie waiting for an init that does not reap is gone too.
		if b, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("pid %s still runs after stop: %s", pid, b)
		}
	}
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	for _, c := range []string{"memory", "cpu", "cpuset", "pids", "freezer", "cpuacct"} {
		p := filepath.Join("/sys/fs/cgroup", c, "appmesh", "lim-a")
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
}

func TestExecAndStatsInCgroup(t *testing.T) {
	d := newExec(t)
	cfg := task(t, "ex/a", &structs.Resources{CPU: 100, MemoryMB: 64}, "/bin/sleep", "300")
	cfg.User = "nobody"
	cfg.Env = map[string]string{"GREETING": "hello"}
	memCgroup(t, cfg.ID)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	r, err := d.ExecTask(cfg.ID, []string{"/bin/sh", "-c", "id -un; echo $GREETING; pwd; grep memory /proc/self/cgroup; exit 3"}, 10*time.Second)
	if err != nil {
		t.Fatalf("ExecTask: %v", err)
	}
	out := string(r.Stdout)
	for _, w := range []string{"nobody\n", "hello\n", cfg.TaskDir + "\n", "memory:/appmesh/ex-a"} {
		if !strings.Contains(out, w) {
			t.Errorf("exec output %q lacks %q", out, w)
		}
	}
	if r.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", r.ExitCode)
	}
	u, err := d.TaskStats(cfg.ID)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	// The task's init (a few threads: the cgroup counts threads) and its
	// sleep.
	if u.MemoryUsageBytes == 0 || u.MemoryLimitBytes != 64<<20 || u.PIDs < 2 {
		t.Errorf("stats = %+v", u)
	}
}

// withTestBinary lets an isolated task run this test binary: its build
// directory is not in the default chroot_env.
func withTestBinary(cfg *drivers.TaskConfig) {
	cfg.ChrootEnv = map[string]string{}
	for k, v := range executor.DefaultChrootEnv {
		cfg.ChrootEnv[k] = v
	}
	dir := filepath.Dir(os.Args[0])
	cfg.ChrootEnv[dir] = dir
}

func waitUntil(t *testing.T, what string, cond func() bool, state func() string) {
	t.Helper()
	testutil.WaitForState(t, what, func() (bool, string) {
		if cond() {
			return true, ""
		}
		return false, state()
	})
}
