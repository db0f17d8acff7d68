package drivers_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/appmesh/appmesh/drivers"
	execdriver "github.com/appmesh/appmesh/drivers/exec"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
)

// pluginEnv switches the test binary into a raw_exec plugin when re-executed.
const pluginEnv = "APPMESH_DRIVERS_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if v := os.Getenv(pluginEnv); v != "" {
		logger := hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Warn})
		d := rawexec.New(logger)
		if v == "exec" {
			d = execdriver.New(logger)
		}
		drivers.Serve(d, logger)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// launch starts the test binary as a real raw_exec plugin subprocess.
func launch(tb testing.TB) (drivers.Driver, *plugin.Client) {
	tb.Helper()
	return launchDriver(tb, "1")
}

// launchDriver starts the test binary as a plugin serving raw_exec ("1") or
// exec ("exec").
func launchDriver(tb testing.TB, which string) (drivers.Driver, *plugin.Client) {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), pluginEnv+"="+which)
	d, client, err := drivers.Launch(cmd, hclog.NewNullLogger())
	if err != nil {
		tb.Fatalf("Launch: %v", err)
	}
	tb.Cleanup(client.Kill)
	return d, client
}

func pluginPID(tb testing.TB, c *plugin.Client) int {
	tb.Helper()
	rc := c.ReattachConfig()
	if rc == nil || rc.Pid <= 0 {
		tb.Fatalf("no reattach config / pid: %+v", rc)
	}
	return rc.Pid
}

func shTask(tb testing.TB, id, script string) *drivers.TaskConfig {
	tb.Helper()
	dir := tb.TempDir()
	return &drivers.TaskConfig{
		ID:         id,
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		TaskDir:    dir,
		StdoutPath: filepath.Join(dir, "stdout.log"),
		StderrPath: filepath.Join(dir, "stderr.log"),
	}
}

func waitExit(tb testing.TB, d drivers.Driver, id string) *drivers.ExitResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		tb.Fatalf("WaitTask(%s): %v", id, err)
	}
	return res
}

func TestPluginFingerprintAndCapabilities(t *testing.T) {
	d, _ := launch(t)
	if d.Name() != "raw_exec" {
		t.Fatalf("Name = %q", d.Name())
	}
	fp, err := d.Fingerprint(context.Background())
	if err != nil || !fp.Healthy || fp.Attributes["driver.raw_exec.version"] == "" {
		t.Fatalf("Fingerprint = %+v, %v", fp, err)
	}
	caps, err := d.Capabilities()
	if err != nil || !caps.SendSignals || !caps.Exec || caps.FSIsolation != "none" {
		t.Fatalf("Capabilities = %+v, %v", caps, err)
	}
}

func TestPluginTaskLifecycle(t *testing.T) {
	d, _ := launch(t)
	cfg := shTask(t, "alloc1/web", "echo out; exit 3")
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	if h.Driver != "raw_exec" || h.PID <= 0 || h.Config == nil || h.Config.Config["args"].([]any)[1] != "echo out; exit 3" {
		t.Fatalf("handle = %+v", h)
	}
	if res := waitExit(t, d, cfg.ID); res.ExitCode != 3 {
		t.Fatalf("exit = %+v, want 3", res)
	}
	if b, _ := os.ReadFile(cfg.StdoutPath); string(b) != "out\n" {
		t.Fatalf("stdout = %q", b)
	}
	st, err := d.InspectTask(cfg.ID)
	if err != nil || st.State != drivers.TaskStateExited || st.ExitResult.ExitCode != 3 || st.PID != h.PID {
		t.Fatalf("InspectTask = %+v, %v", st, err)
	}
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("InspectTask after destroy = %v, want ErrTaskNotFound across the plugin", err)
	}
}

func TestPluginStopAndSignal(t *testing.T) {
	d, _ := launch(t)
	cfg := shTask(t, "alloc1/sleeper", `trap "echo hup" HUP; touch ready; while :; do sleep 0.1; done`)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	ready := filepath.Join(cfg.TaskDir, "ready")
	for _, err := os.Stat(ready); err != nil; _, err = os.Stat(ready) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.SignalTask(cfg.ID, "HUP"); err != nil {
		t.Fatalf("SignalTask: %v", err)
	}
	// The trap runs once the current `sleep 0.1` returns.
	deadline := time.Now().Add(20 * time.Second)
	for b, _ := os.ReadFile(cfg.StdoutPath); string(b) != "hup\n"; b, _ = os.ReadFile(cfg.StdoutPath) {
		if time.Now().After(deadline) {
			t.Fatalf("stdout = %q, want the HUP trap's output", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st, _ := d.InspectTask(cfg.ID); st == nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("task not running after HUP: %+v", st)
	}
	if err := d.StopTask(cfg.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	res := waitExit(t, d, cfg.ID)
	if res.Signal != int(syscall.SIGTERM) {
		t.Fatalf("exit = %+v, want SIGTERM", res)
	}
}

func TestPluginErrorsKeepTheirText(t *testing.T) {
	d, _ := launch(t)
	cfg := shTask(t, "alloc1/bad", "")
	cfg.Config = map[string]any{"args": []any{"x"}, "nested": map[string]any{"a": []any{1.0}}}
	_, err := d.StartTask(cfg)
	if err == nil || !strings.Contains(err.Error(), "config: unknown keys nested") {
		t.Fatalf("StartTask = %v", err)
	}
	delete(cfg.Config, "nested")
	if _, err := d.StartTask(cfg); err == nil || err.Error() != "config: command is required" {
		t.Fatalf("StartTask = %v, want exactly %q", err, "config: command is required")
	}
}

func TestPluginWaitReturnsOnContext(t *testing.T) {
	d, _ := launch(t)
	cfg := shTask(t, "alloc1/long", "sleep 300")
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := d.WaitTask(ctx, cfg.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitTask = %v, want deadline exceeded", err)
	}
	// The abandoned call is still outstanding in the plugin; the connection
	// must keep serving other calls, and a new wait must see the exit.
	if err := d.StopTask(cfg.ID, time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if res := waitExit(t, d, cfg.ID); res.Signal != int(syscall.SIGTERM) {
		t.Fatalf("exit = %+v", res)
	}
}

func TestPluginDeathFailsWait(t *testing.T) {
	d, client := launch(t)
	cfg := shTask(t, "alloc1/orphan", "exec sleep 300")
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The task outlives its plugin by design (agent restarts); clean it up.
	t.Cleanup(func() { _ = syscall.Kill(-h.PID, syscall.SIGKILL) })
	errc := make(chan error, 1)
	go func() {
		_, err := d.WaitTask(context.Background(), cfg.ID)
		errc <- err
	}()
	if err := syscall.Kill(pluginPID(t, client), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("WaitTask returned no error although the plugin died")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("WaitTask still blocked after the plugin died")
	}
}

// vmRSSKB reads a process's resident set size in kB.
func vmRSSKB(tb testing.TB, pid int) int {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// TestPluginMemoryPerTask checks the budget of at most 2 MB per running task
// beyond the task itself, measured on the plugin process: raw_exec writing
// straight to files, and exec with cgroups and rotated output copied by the
// plugin.
func TestPluginMemoryPerTask(t *testing.T) {
	t.Run("raw_exec", func(t *testing.T) { memoryPerTask(t, "1", false) })
	t.Run("exec_cgroups_rotated_logs", func(t *testing.T) { memoryPerTask(t, "exec", true) })
}

func memoryPerTask(t *testing.T, which string, rotate bool) {
	const n = 50
	d, client := launchDriver(t, which)
	pid := pluginPID(t, client)
	idle := vmRSSKB(t, pid)
	for i := range n {
		cfg := shTask(t, "mem/"+strconv.Itoa(i), "echo started; echo oops >&2; exec sleep 300")
		if rotate {
			cfg.StdoutPath = filepath.Join(cfg.TaskDir, "t.stdout.0")
			cfg.StderrPath = filepath.Join(cfg.TaskDir, "t.stderr.0")
			cfg.LogMaxFiles, cfg.LogMaxFileSizeMB = 10, 10
			cfg.Resources = &structs.Resources{CPU: 100, MemoryMB: 32}
		}
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer d.DestroyTask(cfg.ID, true)
	}
	loaded := vmRSSKB(t, pid)
	perTask := float64(loaded-idle) / n
	t.Logf("%s plugin VmRSS: %d kB idle, %d kB with %d sleeping tasks (%.1f kB per task)", d.Name(), idle, loaded, n, perTask)
	if perTask > 2048 {
		t.Fatalf("plugin grows %.0f kB per task, budget is 2048 kB", perTask)
	}
}

func BenchmarkStartTask(b *testing.B) {
	d, _ := launch(b)
	dir := b.TempDir()
	for i := 0; b.Loop(); i++ {
		cfg := &drivers.TaskConfig{
			ID:         "bench/" + strconv.Itoa(i),
			Config:     map[string]any{"command": "/bin/true"},
			TaskDir:    dir,
			StdoutPath: filepath.Join(dir, "stdout.log"),
			StderrPath: filepath.Join(dir, "stderr.log"),
		}
		if _, err := d.StartTask(cfg); err != nil {
			b.Fatal(err)
		}
		if res := waitExit(b, d, cfg.ID); !res.Successful() {
			b.Fatalf("exit = %+v", res)
		}
		if err := d.DestroyTask(cfg.ID, false); err != nil {
			b.Fatal(err)
		}
	}
}

// A task starts with the default action for every signal: the plugin
// protects itself from SIGPIPE and SIGHUP by catching them, and an
// ignored signal would be inherited (a task under `nohup appmesh agent`
// could not trap SIGHUP, and `yes | head` would not end).
func TestPluginTaskSignalsNotIgnored(t *testing.T) {
	d, _ := launch(t)
	cfg := shTask(t, "alloc1/sigign", `grep SigIgn /proc/$$/status`)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	if res := waitExit(t, d, cfg.ID); res.ExitCode != 0 {
		t.Fatalf("exit = %+v", res)
	}
	b, _ := os.ReadFile(cfg.StdoutPath)
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		t.Fatalf("task printed %q, want its SigIgn line", b)
	}
	mask, err := strconv.ParseUint(fields[1], 16, 64)
	if err != nil {
		t.Fatalf("SigIgn %q: %v", fields[1], err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGPIPE} {
		if mask&(1<<(uint(sig)-1)) != 0 {
			t.Errorf("the task starts with %v ignored (SigIgn %s)", sig, fields[1])
		}
	}
}
