package server

import (
	"encoding/json"
	"testing"
)

// FuzzConsulTaskJSON feeds arbitrary Consul KV values (and key names) to
// what the leader does with a task key: decode the task JSON, build its
// job, refuse a privileged one, canonicalize and validate. Whoever can
// write the KV prefix controls these bytes; none may panic the leader.
func FuzzConsulTaskJSON(f *testing.F) {
	for _, seed := range []struct{ name, value string }{
		{"web", `{"command": "python3 -m http.server 8080", "user": "nobody", "replication": 2, "port": 8080, "memory": 64, "cpu": 100}`},
		{"pinned", `{"command": "sleep 60", "user": "app", "node_selector": {"rack": "r1", "${node.class}": "big"}, "env": {"A": "1"}}`},
		{"root", `{"command": "id", "user": "root"}`},
		{"docker", `{"command": "x", "driver": "docker", "user": "app"}`},
		{"neg", `{"command": "x", "user": "app", "replication": -1, "port": -5, "memory": -1}`},
		{"", `{}`},
		{"a/b", `null`},
		{"x", `[1, 2]`},
	} {
		f.Add(seed.name, []byte(seed.value))
	}
	f.Fuzz(func(t *testing.T, name string, value []byte) {
		var task ConsulTask
		if err := json.Unmarshal(value, &task); err != nil {
			return
		}
		job := task.Job(name)
		if job == nil {
			t.Fatal("no job built")
		}
		if err := checkUnprivileged(job); err != nil {
			return
		}
		job.Canonicalize()
		_ = job.Validate()
	})
}
