package client

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/drivers/builtin"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
)

// TestMain lets the test binary stand in for the appmesh binary when the
// plugin driver manager re-executes it as "<exe> driver-plugin <name>".
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == testAgentArg {
		os.Exit(runTestAgent(os.Args[2], os.Args[3], os.Args[4]))
	}
	if len(os.Args) == 3 && os.Args[1] == "driver-plugin" {
		if err := builtin.ServePlugin(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestPluginDriverManager(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dm := NewPluginDriverManager(exe, testLogger(t))
	defer dm.Shutdown()

	if _, err := dm.Dispense("nope"); err == nil || !strings.Contains(err.Error(), "unknown driver") {
		t.Fatalf("unknown driver: %v", err)
	}
	d1, err := dm.Dispense(rawexec.Name)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := d1.Fingerprint(context.Background())
	if err != nil || !fp.Healthy {
		t.Fatalf("fingerprint %+v, %v", fp, err)
	}
	d2, err := dm.Dispense(rawexec.Name)
	if err != nil || d2 != d1 {
		t.Fatalf("second dispense started another plugin (%v)", err)
	}
	dm.Shutdown()
	if _, err := dm.Dispense(rawexec.Name); err == nil {
		t.Fatal("dispense after shutdown")
	}
}

// TestClient_PluginDrivers runs an allocation through a real raw_exec
// plugin subprocess, the way the agent does.
func TestClient_PluginDrivers(t *testing.T) {
	srv := newTestServer(t)
	c, err := New(&Config{DataDir: t.TempDir(), RPC: srv, RawExecEnabled: true, Logger: testLogger(t), KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	if d := c.Node().Drivers[rawexec.Name]; d == nil || !d.Detected || !d.Healthy {
		t.Fatalf("raw_exec plugin not detected: %+v", d)
	}
	job := shJob("sleeper", `echo $$ > "$APPMESH_TASK_DIR/pid"; exec sleep 600`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)
	waitFor(t, "alloc running", statusIs(srv, alloc.ID, structs.AllocClientRunning))
	pid := taskPID(t, c, alloc.ID)
	srv.setDesired(alloc.ID, structs.AllocDesiredStop)
	waitFor(t, "alloc complete", statusIs(srv, alloc.ID, structs.AllocClientComplete))
	waitFor(t, "process gone", processGone(pid))
}
