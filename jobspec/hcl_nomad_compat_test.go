package jobspec

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// Nomad reads quoted numbers and booleans by HCL's type conversion.
func TestHCLQuotedNumbersAndBools(t *testing.T) {
	job := parseHCLString(t, `job "q" {
  priority = "60"
  group "g" {
    count = "3"
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      resources { cpu = "200" }
    }
  }
  type = "batch"
  periodic {
    crons            = ["@hourly"]
    prohibit_overlap = "true"
  }
}`)
	if job.Priority != 60 || job.Groups[0].Count != 3 || job.Groups[0].Tasks[0].Resources.CPU != 200 || !job.Periodic.ProhibitOverlap {
		t.Fatalf("quoted values not converted: priority %d count %d cpu %d overlap %v",
			job.Priority, job.Groups[0].Count, job.Groups[0].Tasks[0].Resources.CPU, job.Periodic.ProhibitOverlap)
	}
	_, err := Parse("q.hcl", []byte(`job "q" { group "g" { count = "three" } }`), "")
	if err == nil || !strings.Contains(err.Error(), `"count": a whole number is required, got string "three"`) {
		t.Fatalf("a string that is not a number: got %v", err)
	}
}

// A task written directly in the job runs in a group named after it.
func TestHCLTaskDirectlyUnderJob(t *testing.T) {
	job := parseHCLString(t, `job "solo" {
  task "worker" {
    driver = "raw_exec"
    config { command = "/bin/true" }
  }
  group "other" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`)
	if len(job.Groups) != 2 {
		t.Fatalf("groups: %d, want 2", len(job.Groups))
	}
	g := job.LookupGroup("worker")
	if g == nil || g.Count != 1 || len(g.Tasks) != 1 || g.Tasks[0].Name != "worker" || g.Tasks[0].Driver != "raw_exec" {
		t.Fatalf("the task was not wrapped in a group of its name: %+v", g)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestHCLPeriodicCron(t *testing.T) {
	job := parseHCLString(t, `job "p" {
  type = "batch"
  periodic {
    cron    = "*/15 * * * *"
    enabled = true
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`)
	if p := job.Periodic; p == nil || len(p.Crons) != 1 || p.Crons[0] != "*/15 * * * *" {
		t.Fatalf("periodic.cron not read into crons: %+v", job.Periodic)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	_, err := Parse("p.hcl", []byte(`job "p" {
  periodic {
    cron    = "@daily"
    enabled = false
  }
}`), "")
	if err == nil || !strings.Contains(err.Error(), "not enabled is not supported") {
		t.Fatalf("enabled = false: got %v", err)
	}
}

func TestMemoryMaxUnlimitedValidates(t *testing.T) {
	job := parseHCLString(t, `job "m" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      resources {
        memory     = 64
        memory_max = -1
      }
    }
  }
}`)
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("memory_max = -1: %v", err)
	}
	job.Groups[0].Tasks[0].Resources.MemoryMaxMB = structs.MemoryMaxUnlimited - 1
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), "-1 means no hard limit") {
		t.Fatalf("memory_max = -2: got %v", err)
	}
}

func TestHCLScalingAndMigrate(t *testing.T) {
	job := parseHCLString(t, `job "s" {
  group "g" {
    count = 2
    scaling {
      enabled = true
      min     = 1
      max     = 5
      policy {
        cooldown = "1m"
        check "cpu" {
          source = "prometheus"
        }
      }
    }
    migrate {
      max_parallel     = 1
      health_check     = "checks"
      min_healthy_time = "10s"
      healthy_deadline = "5m"
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`)
	g := job.Groups[0]
	if s := g.Scaling; s == nil || *s.Min != 1 || *s.Max != 5 || !*s.Enabled || s.Policy["cooldown"] != "1m" {
		t.Fatalf("scaling: %+v", g.Scaling)
	}
	if m := g.Migrate; m == nil || *m.MaxParallel != 1 || m.HealthCheck != "checks" || m.HealthyDeadline.Std().Minutes() != 5 {
		t.Fatalf("migrate: %+v", g.Migrate)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	g.Count = 9
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), `group "g": scaling: the group's count 9 is outside min 1 and max 5`) {
		t.Fatalf("count above max: %v", err)
	}
}

// Nomad features appmesh lacks are named, with their block, in HCL and in
// Nomad's JSON.
func TestNomadOnlyFeaturesNamed(t *testing.T) {
	_, err := Parse("x.hcl", []byte(`job "x" {
  group "g" {
    vault {
      policies = ["db"]
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      csi_plugin {
        id = "x"
      }
    }
  }
}`), "")
	for _, want := range []string{
		"`vault` is a Nomad feature appmesh does not support (found in a group block)",
		"`csi_plugin` is a Nomad feature appmesh does not support (found in a task block)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("HCL: %v\nwant %s", err, want)
		}
	}
	_, err = Parse("x.json", []byte(`{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Vault": {"Policies": ["db"]}}]}]}}`), "")
	if want := "Job.TaskGroups[0].Tasks[0].Vault: `vault` is a Nomad feature"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("JSON: %v\nwant %s", err, want)
	}
}
