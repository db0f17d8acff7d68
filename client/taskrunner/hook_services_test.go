package taskrunner

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/structs"
)

// fakeRegistrar records calls; at each removal it notes whether the task
// had already received its TERM (the file its trap writes).
type fakeRegistrar struct {
	mu         sync.Mutex
	registered chan *consul.Workload
	termFile   string
	removes    []bool // per RemoveWorkload: TERM already seen?
}

func (f *fakeRegistrar) RegisterWorkload(w *consul.Workload) error {
	f.registered <- w
	return nil
}

func (f *fakeRegistrar) RemoveWorkload(allocID, group, task string) {
	_, err := os.Stat(f.termFile)
	f.mu.Lock()
	f.removes = append(f.removes, err == nil)
	f.mu.Unlock()
}

// The task's services are registered once it runs and removed before it
// gets its kill signal.
func TestServicesHook_RemovedBeforeKill(t *testing.T) {
	tr, dir := newRunner(t, `trap 'echo term > "$APPMESH_TASK_DIR/term"; exit 0' TERM; : > "$APPMESH_TASK_DIR/ready"; while true; do sleep 0.05; done`)
	tr.task.Services = []*structs.Service{{Name: "web"}}
	tr.task.ShutdownDelay = structs.Duration(100 * time.Millisecond)
	taskDir, err := dir.BuildTaskDir(tr.task.Name)
	if err != nil {
		t.Fatal(err)
	}
	reg := &fakeRegistrar{registered: make(chan *consul.Workload, 4), termFile: filepath.Join(taskDir, "term")}
	tr.hooks = append(tr.hooks, servicesHookFor(tr, reg))
	go tr.Run()
	w := <-reg.registered
	if w.Task != "web" || w.Key() != consul.WorkloadKey(tr.alloc.ID, tr.alloc.TaskGroup, "web") || len(w.Services) != 1 {
		t.Fatalf("registered workload %+v", w)
	}
	// Kill only once the trap is set, or TERM would find no trap.
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(taskDir, "ready")); err == nil {
			break
		}
		if i > 1000 {
			t.Fatal("the task never got ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	tr.Kill("test")
	<-tr.WaitCh()
	if _, err := os.Stat(reg.termFile); err != nil {
		t.Fatalf("the task never got its TERM: %v", err)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.removes) == 0 || reg.removes[0] {
		t.Fatalf("services must be removed before the kill signal; removals (TERM seen?): %v", reg.removes)
	}
}
