package jobspec

import (
	"strings"
	"testing"
)

// Every resource the job spec accepts is one the scheduler counts (cpu,
// memory, cores, disk) or a limit (memory_max); anything else, such as an
// iops or device ask the scheduler would silently ignore, is refused by
// name. (disk is counted since ephemeral_disk: server/scheduler/volumes_test.go.)
func TestResources_UnscheduledDimensionsAreRefused(t *testing.T) {
	for _, dim := range []string{"iops = 10", "gpu = 1", "network_mbits = 10"} {
		src := `job "j" {
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "/bin/true" }
      resources {
        cpu = 100
        ` + dim + `
      }
    }
  }
}`
		_, err := Parse("j.hcl", []byte(src), "hcl")
		name, _, _ := strings.Cut(dim, " ")
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("resources { %s }: want an error naming %q, got %v", dim, name, err)
		}
	}
	for _, js := range []string{`"iops": 100`, `"devices": [{"name": "gpu"}]`} {
		src := `{"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec", "config": {"command": "/bin/true"}, "resources": {"cpu": 100, ` + js + `}}]}]}`
		_, err := Parse("j.json", []byte(src), "json")
		name := strings.Trim(strings.SplitN(js, ":", 2)[0], `"`)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("JSON resources %s: want an error naming %q, got %v", js, name, err)
		}
	}
}
