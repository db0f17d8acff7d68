package docker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/appmesh/appmesh/drivers"
)

// Inside the container APPMESH_TASK_DIR and APPMESH_ALLOC_DIR are "/", so
// that $APPMESH_TASK_DIR/local and $APPMESH_ALLOC_DIR/alloc name the mounts;
// a directory missing on the host is not mounted.
func TestTaskDirMountsAndEnv(t *testing.T) {
	task, alloc := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(task, "local"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{"APPMESH_TASK_DIR": task, "APPMESH_ALLOC_DIR": alloc, "X": "y"}
	mounts := taskDirMounts(&drivers.TaskConfig{TaskDir: task, AllocDir: alloc})
	if len(mounts) != 1 || mounts[0].Target != containerLocalDir || mounts[0].Source != filepath.Join(task, "local") {
		t.Fatalf("mounts %+v: want only local/ (secrets/ and alloc/ do not exist)", mounts)
	}
	env := containerDirEnv(cfg, mounts)
	if env["APPMESH_TASK_DIR"] != "/" || env["APPMESH_ALLOC_DIR"] != "/" || env["X"] != "y" {
		t.Fatalf("env %v", env)
	}
	if cfg["APPMESH_TASK_DIR"] != task {
		t.Fatal("containerDirEnv changed the task's own env map")
	}
	if got := containerDirEnv(cfg, nil); got["APPMESH_TASK_DIR"] != task {
		t.Fatalf("without mounts the env must stay the host's: %v", got)
	}
}
