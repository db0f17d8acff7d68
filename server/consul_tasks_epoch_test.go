package server

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

// consulTaskServer starts a real Consul agent and a server that watches
// tasks under prefix in it.
func consulTaskServer(t *testing.T, prefix string) (*Server, *consultest.Agent, *api.KV) {
	ca := consultest.Start(t)
	s := testServer(t, func(c *Config) {
		c.Consul = &ConsulConfig{API: ca.API(), KVPrefix: prefix, WatchTasks: true}
	})
	return s, ca, ca.API().KV()
}

func putTask(t *testing.T, kv *api.KV, prefix, name, value string) {
	t.Helper()
	if _, err := kv.Put(&api.KVPair{Key: prefix + "/cluster/tasks/" + name, Value: []byte(value)}, nil); err != nil {
		t.Fatalf("put task %s: %v", name, err)
	}
}

// liveJob returns the job if it exists and is not stopped.
func liveJob(t *testing.T, s *Server, id string) *structs.Job {
	j, err := s.State().JobByID(nil, structs.DefaultNamespace, id)
	if err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	if j == nil || j.Stop {
		return nil
	}
	return j
}

// A Consul that comes back empty (a dev agent restarted without its data)
// lists no tasks: that is "could not read what we ran from", not "every
// key was deleted", and the jobs keep running. A key deleted in the Consul
// data the leader reads still stops its job. Before the fix the empty
// listing stopped every Consul-sourced job.
func TestConsulTasks_EmptyConsulDoesNotStopJobs(t *testing.T) {
	prefix := "appmesh-epoch"
	s, ca, kv := consulTaskServer(t, prefix)

	// No driver, no user: exec as nobody, not a root shell.
	putTask(t, kv, prefix, "app", `{"command": "exec sleep 1000"}`)
	waitFor(t, "job app from consul", func() bool { return liveJob(t, s, "app") != nil })
	task := liveJob(t, s, "app").Groups[0].Tasks[0]
	if task.Driver != structs.DriverExec || task.User != ConsulTaskDefaultUser {
		t.Fatalf("task from consul: driver %q user %q, want exec as %s", task.Driver, task.User, ConsulTaskDefaultUser)
	}

	ca.Restart() // same address, empty state
	// The probes prove the leader has listed the new Consul: the second is
	// registered only after the listing that held the first was handled in
	// full, deletions included.
	kv = ca.API().KV()
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("probe%d", i)
		putTask(t, kv, prefix, name, `{"command": "exec sleep 1000", "user": "nobody"}`)
		waitFor(t, "job "+name, func() bool { return liveJob(t, s, name) != nil })
	}
	if liveJob(t, s, "app") == nil {
		t.Fatal("job app was stopped because a restarted, empty Consul did not list its key")
	}

	// Deleting a key in the Consul the leader reads still stops its job.
	if _, err := kv.Delete(prefix+"/cluster/tasks/probe1", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job probe1 stopped after its key was deleted", func() bool { return liveJob(t, s, "probe1") == nil })
	if liveJob(t, s, "probe2") == nil || liveJob(t, s, "app") == nil {
		t.Fatal("deleting probe1's key stopped other jobs")
	}
}
