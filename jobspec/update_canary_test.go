package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Nomad's update block with canaries parses on the job and on a group,
// and the group's block is merged over the job's.
func TestParseUpdateCanary(t *testing.T) {
	src := `
job "web" {
  update {
    max_parallel      = 1
    canary            = 1
    auto_promote      = false
    auto_revert       = true
    progress_deadline = "10m"
    health_check      = "checks"
    stagger           = "30s"
  }
  group "g" {
    count = 2
    update {
      canary       = 2
      health_check = "task_states"
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`
	job, err := Parse("web.hcl", []byte(src), "hcl")
	if err != nil {
		t.Fatal(err)
	}
	want := structs.UpdateStrategy{MaxParallel: 1, Canary: 2, AutoRevert: true, ProgressDeadline: structs.Duration(10 * time.Minute),
		HealthCheck: structs.UpdateHealthTaskStates, Stagger: structs.Duration(30 * time.Second)}
	if got := structs.GroupUpdate(job, job.Groups[0]); got == nil || *got != want {
		t.Fatalf("effective update = %+v, want %+v", got, want)
	}
	bad := strings.Replace(src, `health_check = "task_states"`, `health_check = "consul"`, 1)
	job, err = Parse("web.hcl", []byte(bad), "hcl")
	if err == nil {
		job.Canonicalize()
		err = job.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), `group "g": update: health_check "consul" is invalid`) {
		t.Fatalf("bad health_check: error = %v", err)
	}
}
