package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestJobScale runs a job in Nomad's syntax with a scaling block, scales
// its group with `appmesh job scale` and with Nomad's POST
// /v1/job/<id>/scale body, and sees the processes follow; a count outside
// the block's bounds is refused and changes nothing.
func TestJobScale(t *testing.T) {
	t.Parallel()
	sec, marker := taskSleep(57)
	a := startAgent(t, agentOptions{dev: true})
	id := fmt.Sprintf("scale-%d", runTag)
	file := writeFile(t, "scale.nomad.hcl", fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "web" {
    count = "1"
    scaling {
      enabled = true
      min     = 1
      max     = 3
      policy {
        cooldown = "1m"
      }
    }
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, sec))
	if r := a.cli("job run", file); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	a.waitProcs(marker, 1)
	first := findProcs(marker)[0]

	if r := a.cli("job scale", id, "web", "3"); r.code != 0 || !strings.Contains(r.stdout, `scaled to 3`) {
		a.fatalf("job scale to 3: %s", r)
	}
	a.waitProcs(marker, 3)
	// Only the count changed: the running copy is kept, not replaced.
	kept := false
	for _, p := range findProcs(marker) {
		kept = kept || p.pid == first.pid
	}
	if !kept {
		a.fatalf("the process that ran before the scale (pid %d) was replaced: %s", first.pid, describeProcs(findProcs(marker)))
	}

	r := a.cli("job scale", id, "web", "4")
	if r.code == 0 || !strings.Contains(r.stderr, "count 4 is outside its scaling block's min 1 and max 3") {
		a.fatalf("job scale above max: %s; want a refusal naming the bounds", r)
	}

	resp := a.request(http.MethodPost, "/v1/job/"+id+"/scale", []byte(`{"Count": 2, "Target": {"Group": "web"}, "Message": "from a Nomad client"}`))
	if resp.status != http.StatusOK {
		a.fatalf("POST /v1/job/%s/scale (Nomad's body): %d %s", id, resp.status, resp.body)
	}
	a.waitProcs(marker, 2)

	var job struct {
		Version uint64 `json:"version"`
		Groups  []struct {
			Count int `json:"count"`
		} `json:"groups"`
	}
	a.getJSON("/v1/job/"+id, &job)
	if job.Groups[0].Count != 2 || job.Version != 2 {
		a.fatalf("job after two scales: count %d version %d; want 2 and version 2", job.Groups[0].Count, job.Version)
	}
	if r := a.cli("job stop", id); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitProcs(marker, 0)
}
