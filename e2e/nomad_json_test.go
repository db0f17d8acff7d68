package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nomadAPIJob is a job in Nomad's API JSON form, as `nomad job run -output`
// prints it: PascalCase keys, nanosecond durations, unset fields null.
func nomadAPIJob(id, outFile string) string {
	return fmt.Sprintf(`{
  "Job": {
    "ID": %q, "Name": %q, "Region": "global", "Namespace": null, "Type": "batch",
    "Datacenters": ["*"], "Priority": 50, "AllAtOnce": false,
    "Constraints": [{"LTarget": "${attr.kernel.name}", "RTarget": "linux", "Operand": "="}],
    "TaskGroups": [{
      "Name": "work", "Count": 1,
      "RestartPolicy": {"Attempts": 0, "Interval": 60000000000, "Delay": 1000000000, "Mode": "fail"},
      "EphemeralDisk": null, "Volumes": null,
      "Tasks": [{
        "Name": "hello", "Driver": "raw_exec",
        "Config": {"command": "/bin/sh", "args": ["-c", "echo \"ran as $GREETING\" > %s"]},
        "Env": {"GREETING": "nomad-json"},
        "Resources": {"CPU": 100, "MemoryMB": 64, "DiskMB": null},
        "KillTimeout": 5000000000,
        "LogConfig": {"MaxFiles": 2, "MaxFileSizeMB": 5},
        "Vault": null, "Templates": null
      }]
    }],
    "Status": "", "Version": 0, "CreateIndex": 0
  },
  "EnforceIndex": false
}`, id, id, outFile)
}

// TestNomadAPIJSON PUTs a job in Nomad's API JSON to /v1/jobs and sees its
// task run on a dev agent; runs the same form from a file with `appmesh
// job run x.json`; and gets the path of a bad key in the 400 answer.
func TestNomadAPIJSON(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	dir := traversableTempDir(t)

	out := filepath.Join(dir, "put.out")
	id := fmt.Sprintf("nomadjson-%d", runTag)
	r := a.putJSON("/v1/jobs", nomadAPIJob(id, out))
	if r.status != http.StatusOK {
		a.fatalf("PUT /v1/jobs with Nomad's JSON: status %d: %s", r.status, r.body)
	}
	a.waitFor("the task of the Nomad JSON job to write its file", func() (bool, string) {
		b, err := os.ReadFile(out)
		return err == nil && strings.TrimSpace(string(b)) == "ran as nomad-json", fmt.Sprintf("%q %v", b, err)
	})
	a.waitAllocs(id, "the allocation to complete", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "complete", describeAllocs(as)
	})

	// Nomad's plan body: {"Job": ..., "Diff": true}, with the count changed.
	planBody := strings.Replace(strings.Replace(nomadAPIJob(id, out), `"EnforceIndex": false`, `"Diff": true`, 1),
		`"Count": 1`, `"Count": 2`, 1)
	r = a.request(http.MethodPut, "/v1/job/"+id+"/plan", []byte(planBody))
	var plan struct {
		Diff *struct {
			Type   string `json:"type"`
			Fields []struct {
				Path string `json:"path"`
			} `json:"fields"`
		} `json:"diff"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &plan) != nil || plan.Diff == nil || plan.Diff.Type != "edited" {
		a.fatalf("PUT /v1/job/%s/plan with Nomad's body: %d %s; want 200 with an edited diff", id, r.status, r.body)
	}

	// The same form through the CLI, from a .json file.
	out2 := filepath.Join(dir, "cli.out")
	id2 := id + "-cli"
	file := writeFile(t, "nomad-job.json", nomadAPIJob(id2, out2))
	if res := a.cli("job run", file); res.code != 0 {
		a.fatalf("appmesh job run of a Nomad JSON file: %s", res)
	}
	a.waitFor("the task of the CLI-run Nomad JSON job to write its file", func() (bool, string) {
		b, err := os.ReadFile(out2)
		return err == nil && strings.TrimSpace(string(b)) == "ran as nomad-json", fmt.Sprintf("%q %v", b, err)
	})

	// POST works like PUT, and a bad key is named by its Nomad path.
	bad := strings.Replace(nomadAPIJob(id+"-bad", out), `"KillTimeout"`, `"Foo": 1, "KillTimeout"`, 1)
	r = a.request(http.MethodPost, "/v1/jobs", []byte(bad))
	msg := a.errorMessage("POST /v1/jobs with an unknown key", r)
	if r.status != http.StatusBadRequest || !strings.Contains(msg, "Job.TaskGroups[0].Tasks[0].Foo: unknown field") {
		a.fatalf("POST /v1/jobs with an unknown key: status %d, message %q; want 400 naming Job.TaskGroups[0].Tasks[0].Foo", r.status, msg)
	}
}
