package docker_test

import (
	"os"
	"path/filepath"
	"testing"
)

// What the client prepares for a task (templates and artifacts in local/,
// tokens in secrets/, the group's shared alloc/) is visible in the
// container at /local, /secrets and /alloc, and APPMESH_TASK_DIR and
// APPMESH_ALLOC_DIR name them from inside.
func TestContainerSeesTaskDirs(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "dirs", map[string]any{
		"image": testImage, "command": "cat", "args": []any{"/local/conf", "/secrets/token", "/alloc/shared"},
	}, nil)
	cfg.AllocDir = t.TempDir()
	files := map[string]string{
		filepath.Join(cfg.TaskDir, "local", "conf"):    "conf\n",
		filepath.Join(cfg.TaskDir, "secrets", "token"): "token\n",
		filepath.Join(cfg.AllocDir, "alloc", "shared"): "shared\n",
	}
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Env = map[string]string{"APPMESH_TASK_DIR": cfg.TaskDir, "APPMESH_ALLOC_DIR": cfg.AllocDir}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	res := waitTask(t, d, cfg.ID)
	waitFor(t, "the files in the task's log", func() bool {
		out, _ := os.ReadFile(cfg.StdoutPath)
		return string(out) == "conf\ntoken\nshared\n"
	})
	if res.ExitCode != 0 {
		out, _ := os.ReadFile(cfg.StdoutPath)
		t.Fatalf("exit %d: %s", res.ExitCode, out)
	}

}
