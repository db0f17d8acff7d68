package allocrunner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// moveData hands a previous allocation's data over an empty directory;
// a missing source is nothing to move; a non-empty target is refused.
func TestMoveData(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "old", "data"), filepath.Join(root, "new", "data")
	for _, d := range []string{src, dst} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := moveData(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "f")); err != nil || string(b) != "kept" {
		t.Fatalf("moved file = %q, %v", b, err)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Fatalf("source still there: %v", err)
	}
	if err := moveData(filepath.Join(root, "none"), dst); err != nil {
		t.Fatalf("missing source: %v", err)
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := moveData(src, dst); err == nil {
		t.Fatal("moving over a non-empty directory succeeded")
	}
}

// A replacement waits for the previous allocation to end before its task
// starts, then finds the previous alloc/data in its own; the task reads
// the file the previous allocation left.
func TestAllocRunner_TakesPreviousData(t *testing.T) {
	dataDir := t.TempDir()
	prevShared := filepath.Join(t.TempDir(), "alloc")
	if err := os.MkdirAll(filepath.Join(prevShared, DataDirName), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prevShared, DataDirName, "state"), []byte("from-previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	task := shTask("t", `cat "$APPMESH_ALLOC_DIR/alloc/data/state"`)
	job := &structs.Job{ID: "job", Type: structs.JobTypeBatch, Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{task}}}}
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	rec := &recorder{}
	ar, err := New(&Config{
		Alloc: alloc, Job: job, DataDir: dataDir,
		Drivers:  oneDriver{rawexec.New(hclog.NewNullLogger())},
		OnUpdate: rec.put,
		Previous: &PreviousAlloc{ID: "prev", SharedDir: prevShared, Done: done},
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	// Until the previous allocation is done, the data stays where it is.
	select {
	case <-ar.WaitCh():
		t.Fatal("the allocation finished before the previous one was done")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := os.Stat(filepath.Join(prevShared, DataDirName, "state")); err != nil {
		t.Fatalf("the data moved before the previous allocation was done: %v", err)
	}
	close(done)
	waitStatus(t, ar, structs.AllocClientComplete)
	out, err := os.ReadFile(ar.AllocDir().LogPath("t", "stdout"))
	if err != nil || string(out) != "from-previous" {
		t.Fatalf("task output %q, %v: want the previous allocation's file", out, err)
	}
}
