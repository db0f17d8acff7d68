package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// job is one service job of the run; its tasks are found by marker.
type job struct {
	id     string
	driver string
	count  int
	// marker is the command line of each of its task processes
	// ("sleep N", N unique to the run and job); empty for docker, whose
	// containers are found by their appmesh.job_id label.
	marker string
}

// restartHCL restarts a killed task after a second, as often as the run
// needs: the run checks the policy brings it back, not that it gives up.
const restartHCL = `restart {
      attempts  = 100000
      interval  = "24h"
      delay     = "1s"
      max_delay = "2s"
      mode      = "delay"
    }`

func (j job) hcl(image string) string {
	var task string
	switch j.driver {
	case "docker":
		task = fmt.Sprintf(`driver = "docker"
      config {
        image = %q
      }`, image)
	default:
		task = fmt.Sprintf(`driver = %q
      config {
        command = "/bin/sh"
        args    = ["-c", "exec %s"]
      }`, j.driver, j.marker)
	}
	return fmt.Sprintf(`job %q {
  type = "service"
  group "g" {
    count = %d
    %s
    task "t" {
      %s
      resources {
        cpu    = 20
        memory = 32
      }
    }
  }
}
`, j.id, j.count, restartHCL, task)
}

// register submits the job through the CLI, as a user would.
func (r *runner) register(j job) error {
	path := filepath.Join(r.dir, j.id+".hcl")
	if err := os.WriteFile(path, []byte(j.hcl(r.image)), 0o644); err != nil {
		return err
	}
	out, err := exec.Command(r.o.bin, "job", "run", "-detach", "-address", r.server.addr(), path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("job run %s: %v: %s", j.id, err, out)
	}
	return nil
}

func (r *runner) stopJob(j job) error {
	out, err := exec.Command(r.o.bin, "job", "stop", "-purge", "-address", r.server.addr(), j.id).CombinedOutput()
	if err != nil {
		return fmt.Errorf("job stop %s: %v: %s", j.id, err, out)
	}
	return nil
}

// allocs lists the job's allocations the servers still want to run.
func (r *runner) allocs(ctx context.Context, j job) ([]*structs.AllocListStub, error) {
	var all []*structs.AllocListStub
	if err := r.server.getJSON(ctx, "/v1/job/"+j.id+"/allocations", &all); err != nil {
		return nil, err
	}
	var out []*structs.AllocListStub
	for _, a := range all {
		if a.DesiredStatus == structs.AllocDesiredRun {
			out = append(out, a)
		}
	}
	return out, nil
}

// describe is a one-line view of allocations for progress and errors.
func describe(as []*structs.AllocListStub) string {
	var parts []string
	for _, a := range as {
		s := a.ID[:8] + " " + a.ClientStatus
		for name, ts := range a.TaskStates {
			s += fmt.Sprintf(" %s=%s(restarts %d)", name, ts.State, ts.Restarts)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
