package server

import (
	"encoding/json"
	"testing"
)

// A task JSON from Consul KV becomes a valid one-group service job.
func TestConsulTaskJob(t *testing.T) {
	var ct ConsulTask
	src := `{"replication": 3, "command": "exec ./srv", "port": 8080, "memory": 64,
	  "node_selector": {"rack": "r1", "${attr.kernel.name}": "linux"}}`
	if err := json.Unmarshal([]byte(src), &ct); err != nil {
		t.Fatal(err)
	}
	job := ct.Job("myapp")
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("job from consul does not validate: %v", err)
	}
	g := job.Groups[0]
	task := g.Tasks[0]
	if job.ID != "myapp" || g.Count != 3 || task.Driver != "raw_exec" || task.Resources.MemoryMB != 64 {
		t.Fatalf("job %s count %d driver %s memory %d", job.ID, g.Count, task.Driver, task.Resources.MemoryMB)
	}
	if g.Network == nil || g.Network.Ports[0].Static != 8080 || g.Network.Ports[0].Label != "http" {
		t.Fatalf("network %+v", g.Network)
	}
	attrs := map[string]string{}
	for _, c := range g.Constraints {
		attrs[c.Attribute] = c.Value
	}
	if attrs["${meta.rack}"] != "r1" || attrs["${attr.kernel.name}"] != "linux" {
		t.Fatalf("constraints %v", attrs)
	}
	var one ConsulTask
	_ = json.Unmarshal([]byte(`{"command": "true"}`), &one)
	if n := one.Job("x").Groups[0].Count; n != 1 {
		t.Fatalf("replication defaults to 1, got %d", n)
	}
}
