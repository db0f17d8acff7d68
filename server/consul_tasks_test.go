package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
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
	if job.ID != "myapp" || g.Count != 3 || task.Driver != "exec" || task.Resources.MemoryMB != 64 {
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
	// No driver and no user: exec as an unprivileged user, not a root shell.
	if tk := one.Job("x").Groups[0].Tasks[0]; tk.Driver != structs.DriverExec || tk.User != "nobody" {
		t.Fatalf("defaults: driver %q user %q, want exec as nobody", tk.Driver, tk.User)
	}
}

// Only an exec task with a user other than root may come from Consul KV;
// anything else is refused with the reasons.
func TestConsulTaskMustBeUnprivileged(t *testing.T) {
	cases := []struct {
		src  string
		want []string // nil: allowed
	}{
		{`{"command": "true", "user": "nobody"}`, nil},
		{`{"command": "true", "driver": "exec", "user": "app"}`, nil},
		{`{"command": "true"}`, nil}, // runs as ConsulTaskDefaultUser
		{`{"command": "true", "user": "0"}`, []string{`runs as user "0"`}},
		{`{"command": "true", "user": "root"}`, []string{`runs as user "root"`}},
		{`{"command": "true", "driver": "raw_exec", "user": "nobody"}`, []string{`driver "raw_exec" is not allowed (only exec)`, `uses the raw_exec driver`}},
		{`{"command": "true", "driver": "docker", "user": "nobody"}`, []string{`driver "docker" is not allowed (only exec)`}},
	}
	for _, c := range cases {
		var ct ConsulTask
		if err := json.Unmarshal([]byte(c.src), &ct); err != nil {
			t.Fatal(err)
		}
		err := checkUnprivileged(ct.Job("app"))
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: refused: %v", c.src, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: allowed, want refused", c.src)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.src, err, w)
			}
		}
		t.Logf("%s: %v", c.src, err)
	}
}
