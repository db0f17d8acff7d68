package server

import (
	"testing"
)

// FuzzConsulTaskJSON feeds arbitrary Consul KV values (and key names) to
// what the leader does with a task key: decode the task JSON (either
// format), build its
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
		{"myapp", `{"replication": 2, "port": 6666, "content": {"name": "myapp", "command": "sleep 30"}, "condition": {"arch": "x86_*"}}`},
		{"myapp", `{"replication": 1, "content": {"name": "myapp"}}`},
		{"w", `{"replication": 1, "priority": 3, "memoryMB": 8, "content": {"command": "x", "shell": true, "health_check_cmd": "true"}, "condition": {"HOST_NAME": "n?"}}`},
	} {
		f.Add(seed.name, []byte(seed.value))
	}
	f.Fuzz(func(t *testing.T, name string, value []byte) {
		job, err := consulTaskJob(name, value)
		if err != nil {
			return
		}
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
