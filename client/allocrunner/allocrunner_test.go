package allocrunner

import (
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

type oneDriver struct{ d drivers.Driver }

func (o oneDriver) Dispense(string) (drivers.Driver, error) { return o.d, nil }

func shTask(name, script string) *structs.Task {
	return &structs.Task{
		Name: name, Driver: rawexec.Name, KillTimeout: structs.Duration(2 * time.Second),
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
	}
}

type recorder struct {
	mu      sync.Mutex
	updates []*structs.AllocStatusUpdate
}

func (r *recorder) put(u *structs.AllocStatusUpdate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
}

func (r *recorder) last() *structs.AllocStatusUpdate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) == 0 {
		return nil
	}
	return r.updates[len(r.updates)-1]
}

func newAllocRunner(t *testing.T, tasks ...*structs.Task) (*AllocRunner, *recorder) {
	t.Helper()
	job := &structs.Job{ID: "job", Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: tasks}}}
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	rec := &recorder{}
	ar, err := New(&Config{
		Alloc: alloc, Job: job, DataDir: t.TempDir(),
		Drivers:  oneDriver{rawexec.New(hclog.NewNullLogger())},
		OnUpdate: rec.put,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	return ar, rec
}

func waitStatus(t *testing.T, ar *AllocRunner, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a := ar.Alloc()
		if a.ClientStatus == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %q, want %q; tasks %+v", a.ClientStatus, want, a.TaskStates)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAllocRunner_StopCompletes(t *testing.T) {
	ar, rec := newAllocRunner(t, shTask("a", "exec sleep 600"), shTask("b", "exec sleep 600"))
	waitStatus(t, ar, structs.AllocClientRunning)
	stopped := ar.Alloc()
	stopped.DesiredStatus = structs.AllocDesiredStop
	stopped.AllocModifyIndex++
	ar.Update(stopped)
	<-ar.WaitCh()
	waitStatus(t, ar, structs.AllocClientComplete)
	if u := rec.last(); u.ClientStatus != structs.AllocClientComplete || len(u.TaskStates) != 2 {
		t.Fatalf("last update %+v", u)
	}
}

func TestAllocRunner_FailedTaskKillsSiblings(t *testing.T) {
	noRestart := 0
	bad := shTask("bad", "exit 1")
	bad.Restart = &structs.RestartPolicy{Attempts: &noRestart}
	ar, _ := newAllocRunner(t, bad, shTask("long", "exec sleep 600"))
	select {
	case <-ar.WaitCh():
	case <-time.After(60 * time.Second):
		t.Fatal("sibling not killed")
	}
	a := ar.Alloc()
	if a.ClientStatus != structs.AllocClientFailed || a.TaskStates["long"].State != structs.TaskStateDead {
		t.Fatalf("got %q, tasks %+v", a.ClientStatus, a.TaskStates)
	}
}

func TestAllocRunner_MissingGroup(t *testing.T) {
	_, err := New(&Config{
		Alloc: &structs.Allocation{ID: "x", TaskGroup: "nope"}, Job: &structs.Job{ID: "job"},
		DataDir: t.TempDir(), Drivers: oneDriver{},
	})
	if err == nil {
		t.Fatal("want error for a missing group")
	}
}
