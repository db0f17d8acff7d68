package allocrunner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func fetchRunner(t *testing.T, script string, fetch func(ctx context.Context, w io.Writer) error) *AllocRunner {
	t.Helper()
	task := shTask("t", script)
	job := &structs.Job{ID: "job", Type: structs.JobTypeBatch, Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{task}}}}
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	ar, err := New(&Config{
		Alloc: alloc, Job: job, DataDir: t.TempDir(),
		Drivers:  oneDriver{rawexec.New(hclog.NewNullLogger())},
		OnUpdate: (&recorder{}).put,
		Previous: &PreviousAlloc{ID: "prev-alloc-id", Limit: 1 << 20, Fetch: fetch},
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	return ar
}

func events(ar *AllocRunner, typ string) string {
	st, _ := ar.TaskState("t")
	var out []string
	for _, e := range st.Events {
		if e.Type == typ {
			out = append(out, e.Message)
		}
	}
	return strings.Join(out, "\n")
}

// Data fetched from another node lands in alloc/data and the task's
// local/ before the task starts, with a Migrated Data event.
func TestAllocRunner_FetchesPreviousData(t *testing.T) {
	src, _ := allocdir.New(t.TempDir(), "prev")
	for p, body := range map[string]string{
		filepath.Join(src.SharedDir, "data", "state"): "from-data ",
		filepath.Join(src.Dir, "t", "local", "note"):  "from-local",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stream bytes.Buffer
	if _, err := src.WriteData(&stream, 1<<20); err != nil {
		t.Fatal(err)
	}
	ar := fetchRunner(t, `cat "$APPMESH_ALLOC_DIR/alloc/data/state" "$APPMESH_TASK_DIR/local/note"`,
		func(_ context.Context, w io.Writer) error {
			_, err := w.Write(stream.Bytes())
			return err
		})
	waitStatus(t, ar, structs.AllocClientComplete)
	out, err := os.ReadFile(ar.AllocDir().LogPath("t", "stdout"))
	if err != nil || string(out) != "from-data from-local" {
		t.Fatalf("task output %q, %v", out, err)
	}
	if ev := events(ar, TaskEventMigrated); !strings.Contains(ev, "copied 20 bytes of the previous allocation prev-all") {
		t.Fatalf("Migrated Data events: %q", ev)
	}
}

// A fetch that fails is a Migrate Failed event with the reason, and the
// task still starts, with an empty alloc/data.
func TestAllocRunner_FetchFailureIsAnEvent(t *testing.T) {
	ar := fetchRunner(t, `ls "$APPMESH_ALLOC_DIR/alloc/data" | wc -l`, func(context.Context, io.Writer) error {
		return errors.New("node old is not connected to any server: its client may be down")
	})
	waitStatus(t, ar, structs.AllocClientComplete)
	if ev := events(ar, TaskEventMigrateFailed); !strings.Contains(ev, "not connected to any server") || !strings.Contains(ev, "starting without it") {
		t.Fatalf("Migrate Failed events: %q", ev)
	}
	if out, _ := os.ReadFile(ar.AllocDir().LogPath("t", "stdout")); strings.TrimSpace(string(out)) != "0" {
		t.Fatalf("alloc/data not empty: %q", out)
	}
}

// A previous node that never answers holds the start for prevDataWait at
// most.
func TestAllocRunner_FetchIsBounded(t *testing.T) {
	old := prevDataWait
	prevDataWait = 300 * time.Millisecond
	t.Cleanup(func() { prevDataWait = old })
	ar := fetchRunner(t, `true`, func(ctx context.Context, _ io.Writer) error {
		<-ctx.Done()
		return ctx.Err()
	})
	waitStatus(t, ar, structs.AllocClientComplete)
	if ev := events(ar, TaskEventMigrateFailed); !strings.Contains(ev, "no data within 300ms") {
		t.Fatalf("Migrate Failed events: %q", ev)
	}
}

// On the same node a task's local/ follows alloc/data into the
// replacement.
func TestAllocRunner_TakesPreviousLocalDir(t *testing.T) {
	prevDir := t.TempDir()
	prevShared := filepath.Join(prevDir, "alloc")
	for p, body := range map[string]string{
		filepath.Join(prevShared, DataDirName, "state"): "data ",
		filepath.Join(prevDir, "t", "local", "note"):    "local",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	task := shTask("t", `cat "$APPMESH_ALLOC_DIR/alloc/data/state" "$APPMESH_TASK_DIR/local/note"`)
	job := &structs.Job{ID: "job", Type: structs.JobTypeBatch, Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{task}}}}
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	ar, err := New(&Config{
		Alloc: alloc, Job: job, DataDir: t.TempDir(),
		Drivers:  oneDriver{rawexec.New(hclog.NewNullLogger())},
		OnUpdate: (&recorder{}).put,
		Previous: &PreviousAlloc{ID: "prev", SharedDir: prevShared},
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	waitStatus(t, ar, structs.AllocClientComplete)
	if out, err := os.ReadFile(ar.AllocDir().LogPath("t", "stdout")); err != nil || string(out) != "data local" {
		t.Fatalf("task output %q, %v", out, err)
	}
}
