package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestNomadDisconnectAndMigrateForms runs, on one dev agent, a job file in
// Nomad's syntax with the group settings whose behaviour needs several
// nodes (tested in e2e/cluster: TestClientDisconnectWindow,
// TestDrainRespectsMigrate, TestEphemeralDiskMigratesAcrossNodes):
// max_client_disconnect, Nomad 1.8's disconnect block,
// prevent_reschedule_on_lost, migrate and
// ephemeral_disk { migrate sticky }. They validate, run, and read back;
// stop_after_client_disconnect next to a disconnect block is refused.
func TestNomadDisconnectAndMigrateForms(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	secs, marker := taskSleep(87)
	a.track(marker)
	id := fmt.Sprintf("nomaddisc-%d", runTag)
	task := fmt.Sprintf(`    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["%d"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }`, secs)
	file := writeFile(t, "disc.nomad.hcl", fmt.Sprintf(`job %q {
  datacenters = ["*"]
  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "2s"
  }
  group "a" {
    max_client_disconnect = "5m"
    ephemeral_disk {
      migrate = true
      sticky  = true
      size    = 20
    }
%s
  }
  group "b" {
    disconnect {
      lost_after = "90s"
      replace    = false
      reconcile  = "keep_original"
    }
%s
  }
  group "c" {
    prevent_reschedule_on_lost = true
%s
  }
}
`, id, task, task, task))
	if r := a.cli("job validate", file); r.code != 0 {
		a.fatalf("job validate: %s", r)
	}
	if r := a.cli("job run", "-detach", file); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	a.waitAllocs(id, "the three groups running", func(allocs []alloc) (bool, string) {
		return countStatus(allocs, "run", "running") == 3, describeAllocs(allocs)
	})
	var job struct {
		Groups []struct {
			Name                string         `json:"name"`
			MaxClientDisconnect string         `json:"max_client_disconnect"`
			Disconnect          map[string]any `json:"disconnect"`
			Migrate             map[string]any `json:"migrate"`
			EphemeralDisk       map[string]any `json:"ephemeral_disk"`
			PreventReschedule   bool           `json:"prevent_reschedule_on_lost"`
		} `json:"groups"`
	}
	a.getJSON("/v1/job/"+id, &job)
	got := fmt.Sprintf("%+v", job.Groups)
	for _, want := range []string{"MaxClientDisconnect:5m0s", "lost_after:1m30s", "reconcile:keep_original", "replace:false",
		"max_parallel:1", "migrate:true", "sticky:true", "PreventReschedule:true"} {
		if !strings.Contains(got, want) {
			t.Errorf("job read back lacks %q: %s", want, got)
		}
	}

	bad := writeFile(t, "bad.nomad.hcl", fmt.Sprintf(`job "bad" {
  group "g" {
    stop_after_client_disconnect = "30s"
    disconnect {
      lost_after           = "1m"
      stop_on_client_after = "30s"
    }
%s
  }
}
`, task))
	r := a.cli("job validate", bad)
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "stop_after_client_disconnect and a disconnect block are both set") {
		t.Fatalf("both forms: %s", r)
	}
}
