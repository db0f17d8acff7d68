package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// max_client_disconnect, prevent_reschedule_on_lost,
// stop_after_client_disconnect and Nomad 1.8's disconnect block parse from
// HCL and from Nomad's JSON.
func TestDisconnectParses(t *testing.T) {
	job, err := Parse("x.hcl", []byte(`job "x" {
  group "a" {
    max_client_disconnect = "90s"
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
  group "c" {
    prevent_reschedule_on_lost = true
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
  group "b" {
    disconnect {
      lost_after = "2m"
      replace    = false
      reconcile  = "keep_replacement"
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`), "")
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	a, b := job.LookupGroup("a"), job.LookupGroup("b")
	if a.DisconnectWindow() != 90*time.Second || !a.ReplacesDisconnected() || a.KeepsReplacement() {
		t.Fatalf("group a: window %s", a.DisconnectWindow())
	}
	if c := job.LookupGroup("c"); !c.PreventRescheduleOnLost || !c.UnknownWhenDown() {
		t.Fatalf("group c: %+v", c)
	}
	if b.DisconnectWindow() != 2*time.Minute || b.ReplacesDisconnected() || !b.KeepsReplacement() {
		t.Fatalf("group b: %+v", b.Disconnect)
	}

	job, err = Parse("x.json", []byte(`{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "MaxClientDisconnect": 60000000000,
	  "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/true"}}]},
	  {"Name": "h", "Disconnect": {"LostAfter": 30000000000, "Reconcile": "best_score", "StopOnClientAfter": null},
	  "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/true"}}]}]}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if w := job.LookupGroup("g").DisconnectWindow(); w != time.Minute {
		t.Fatalf("JSON max_client_disconnect = %s", w)
	}
	if w := job.LookupGroup("h").DisconnectWindow(); w != 30*time.Second {
		t.Fatalf("JSON disconnect.lost_after = %s", w)
	}

	job, err = Parse("x.hcl", []byte(`job "x" {
  group "g" {
    disconnect {
      lost_after           = "1m"
      stop_on_client_after = "30s"
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if d := job.LookupGroup("g").StopOnClientAfter(); d != 30*time.Second {
		t.Fatalf("stop_on_client_after = %s", d)
	}
	job, err = Parse("x.hcl", []byte(`job "x" {
  group "g" {
    stop_after_client_disconnect = "45s"
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if d := job.LookupGroup("g").StopOnClientAfter(); d != 45*time.Second {
		t.Fatalf("stop_after_client_disconnect = %s", d)
	}
	job.LookupGroup("g").Disconnect = &structs.DisconnectStrategy{LostAfter: structs.Duration(time.Minute)}
	job.Canonicalize()
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), "stop_after_client_disconnect and a disconnect block are both set") {
		t.Fatalf("both forms: %v", err)
	}
}
