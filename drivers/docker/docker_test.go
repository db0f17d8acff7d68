package docker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/hashicorp/go-hclog"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/docker"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

// testImage is per test process: other runs of these tests on the same
// engine build and remove their own.
var testImage = fmt.Sprintf("appmesh-test-srv:%d", os.Getpid())

var imageErr error

// TestMain builds the test image from a static Go binary (no registry) and
// removes it afterwards.
func TestMain(m *testing.M) {
	imageErr = testutil.BuildScratchImage(testImage, "testdata/srv/main.go.txt")
	code := m.Run()
	if imageErr == nil {
		testutil.RemoveImage(testImage)
	}
	os.Exit(code)
}

func newDriver(t *testing.T) drivers.Driver {
	t.Helper()
	if imageErr != nil {
		t.Skipf("docker test image unavailable: %v", imageErr)
	}
	d := docker.New(hclog.New(&hclog.LoggerOptions{Level: hclog.Warn}))
	fp, err := d.Fingerprint(context.Background())
	if err != nil || !fp.Healthy || fp.Attributes["driver.docker.version"] == "" {
		t.Fatalf("Fingerprint = %+v, %v", fp, err)
	}
	return d
}

func taskCfg(t *testing.T, name string, config map[string]any, res *structs.Resources) *drivers.TaskConfig {
	dir := t.TempDir()
	alloc := fmt.Sprintf("test%d", time.Now().UnixNano())
	return &drivers.TaskConfig{
		ID: alloc + "/" + name, AllocID: alloc, TaskName: name, Config: config, Resources: res,
		TaskDir: dir, StdoutPath: filepath.Join(dir, name+".stdout.0"), StderrPath: filepath.Join(dir, name+".stderr.0"),
		LogMaxFiles: 2, LogMaxFileSizeMB: 1,
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
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

func engine(t *testing.T) *client.Client {
	c, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRunContainer(t *testing.T) {
	d := newDriver(t)
	port := freePort(t)
	cfg := taskCfg(t, "web", map[string]any{
		"image": testImage, "ports": []any{"http"}, "port_map": map[string]any{"http": float64(8080)},
		"env": map[string]any{"GREETING": "docker"}, "labels": map[string]any{"team": "mesh"},
	}, &structs.Resources{CPU: 200, MemoryMB: 64})
	cfg.Ports = map[string]int{"http": port}
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	var body string
	waitFor(t, "the mapped port to answer", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return true
	})
	if body != "hello from docker\n" {
		t.Errorf("body = %q", body)
	}
	name := "appmesh-web-" + cfg.AllocID
	in, err := engine(t).ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	if hc := in.Container.HostConfig; hc.Memory != 64<<20 || hc.CPUShares != 200 {
		t.Errorf("memory = %d, cpu shares = %d", hc.Memory, hc.CPUShares)
	}
	if in.Container.Config.Labels["team"] != "mesh" {
		t.Errorf("labels = %v", in.Container.Config.Labels)
	}
	waitFor(t, "output in the log files", func() bool {
		out, _ := os.ReadFile(cfg.StdoutPath)
		errOut, _ := os.ReadFile(cfg.StderrPath)
		return strings.Contains(string(out), "srv listening on 8080") && strings.Contains(string(errOut), "srv stderr line")
	})
	r, err := d.ExecTask(cfg.ID, []string{"/srv", "hog", "1"}, 10*time.Second)
	if err != nil || r.ExitCode != 0 || string(r.Stdout) != "allocated 1\n" {
		t.Errorf("ExecTask = %+v, %v", r, err)
	}
	u, err := d.TaskStats(cfg.ID)
	if err != nil || u.MemoryLimitBytes != 64<<20 || u.MemoryUsageBytes == 0 {
		t.Errorf("TaskStats = %+v, %v", u, err)
	}
	if err := d.StopTask(cfg.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	waitTask(t, d, cfg.ID)
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	_, err = engine(t).ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Fatalf("container %s after destroy: %v, want not found", name, err)
	}
	if h.ID != cfg.ID {
		t.Errorf("handle id = %q", h.ID)
	}
}

func TestContainerOOMKilled(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "hog", map[string]any{"image": testImage, "args": []any{"hog", "200"}}, &structs.Resources{CPU: 100, MemoryMB: 32})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	res := waitTask(t, d, cfg.ID)
	if !res.OOMKilled || res.Err != "OOM killed" {
		t.Fatalf("exit = %+v, want OOM killed", res)
	}
	t.Logf("exit: %+v", res)
}

func TestMissingImage(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "x", map[string]any{"image": "appmesh-no-such-image:1"}, nil)
	_, err := d.StartTask(cfg)
	if err == nil || !strings.Contains(err.Error(), "image appmesh-no-such-image:1 not found locally and could not be pulled") {
		t.Fatalf("StartTask = %v", err)
	}
	t.Logf("error: %v", err)
}

func TestLoadImageFromTar(t *testing.T) {
	d := newDriver(t)
	loaded := fmt.Sprintf("appmesh-test-load:%d", os.Getpid())
	tar := filepath.Join(t.TempDir(), "image.tar")
	for _, args := range [][]string{{"tag", testImage, loaded}, {"save", "-o", tar, loaded}, {"rmi", loaded}} {
		if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
			t.Fatalf("docker %v: %v: %s", args, err, out)
		}
	}
	defer exec.Command("docker", "rmi", "-f", loaded).Run()
	cfg := taskCfg(t, "load", map[string]any{"image": loaded, "load": tar, "args": []any{"hog", "1"}}, &structs.Resources{MemoryMB: 64})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	if res := waitTask(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	if err := d.StopTask("nope", time.Second, ""); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("StopTask(nope) = %v", err)
	}
}
