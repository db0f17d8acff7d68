package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestConstraintOperators(t *testing.T) {
	node := testNode(7)
	node.Datacenter = "us-east-1"
	node.Attributes["kernel.version"] = "5.15.0-91"
	node.Attributes["driver.docker.version"] = "24.0.7"
	node.Meta["tags"] = "ssd, gpu,fast"

	for _, tc := range []struct {
		attr, op, value string
		want            bool
	}{
		{"${attr.kernel.name}", "=", "linux", true},
		{"${attr.kernel.name}", "==", "linux", true},
		{"${attr.kernel.name}", "is", "windows", false},
		{"${attr.kernel.name}", "", "linux", true}, // default operator
		{"${attr.missing}", "=", "", false},        // missing is not empty
		{"${attr.kernel.name}", "!=", "windows", true},
		{"${attr.kernel.name}", "not", "linux", false},
		{"${meta.role}", "!=", "db", true},      // missing key is "not db"
		{"${attr.cpu.cores}", ">", "10", false}, // numeric: 8 < 10, though "8" > "10" lexically
		{"${attr.cpu.cores}", ">=", "8", true},
		{"${attr.cpu.cores}", "<", "10", true},
		{"${attr.cpu.cores}", "<=", "7.5", false},
		{"${node.datacenter}", "<", "us-west", true}, // lexical
		{"${attr.missing}", "<", "9", false},
		{"${attr.kernel.version}", "regexp", `^5\.1[0-9]\.`, true},
		{"${attr.kernel.version}", "regexp", `^6\.`, false},
		{"${attr.kernel.version}", "regexp", `(`, false}, // bad pattern never matches
		{"${attr.driver.docker.version}", "version", ">= 20.10, < 25", true},
		{"${attr.driver.docker.version}", "version", "~> 23.0", false},
		{"${attr.kernel.name}", "version", ">= 1.0", false}, // not a version
		{"${node.datacenter}", "glob", "us-*", true},
		{"${node.datacenter}", "glob", "eu-*", false},
		{"${node.datacenter}", "glob", "us-east-?", true},
		{"${meta.rack}", "glob", "r[12]", true},
		{"${meta.rack}", "glob", "r[!1]", false},
		{"${meta.rack}", "glob", "r[", false},
		{"${meta.tags}", "set_contains", "gpu,ssd", true},
		{"${meta.tags}", "set_contains", "gpu,nvme", false},
		{"${meta.tags}", "set_contains_all", "gpu,ssd", true},
		{"${meta.tags}", "set_contains_all", "gpu,nvme", false},
		{"${meta.tags}", "set_contains_any", "nvme,ssd", true},
		{"${meta.tags}", "set_contains_any", "nvme, tpu", false},
		{"${meta.missing}", "set_contains_any", "ssd", false},
		{"${meta.tags}", "is_set", "", true},
		{"${meta.nope}", "is_set", "", false},
		{"${meta.nope}", "is_not_set", "", true},
		{"${meta.tags}", "is_not_set", "", false},
		{"${node.unique.id}", "=", "node-0007", true},
		{"${node.unique.name}", "=", "host-7", true},
		{"${attr.unique.hostname}", "=", "host-7", true},
		{"${node.class}", "=", "", false}, // unknown reference fails closed
		{"linux", "=", "${attr.kernel.name}", true},
		{"${attr.kernel.name}", "distinct_hosts", "", true}, // checked elsewhere
		{"${attr.kernel.name}", "bogus", "linux", false},
	} {
		c := &structs.Constraint{Attribute: tc.attr, Operator: tc.op, Value: tc.value}
		cc := newConstraintChecker()
		if got := cc.meets(c, node); got != tc.want {
			t.Errorf("%s: got %v, want %v", c, got, tc.want)
		}
		// The cached path must agree with the first evaluation.
		if got := cc.meets(c, node); got != tc.want {
			t.Errorf("%s (cached): got %v, want %v", c, got, tc.want)
		}
	}
}

func TestComputedClass(t *testing.T) {
	a, b := testNode(1), testNode(2)
	if computedClass(a) != computedClass(b) {
		t.Fatal("nodes differing only in unique.* attributes, ID and name have different classes")
	}
	for name, change := range map[string]func(n *structs.Node){
		"datacenter":   func(n *structs.Node) { n.Datacenter = "dc2" },
		"attribute":    func(n *structs.Node) { n.Attributes["os.version"] = "6.1" },
		"meta":         func(n *structs.Node) { n.Meta["rack"] = "r2" },
		"driver":       func(n *structs.Node) { n.Drivers["exec"].Healthy = false },
		"new driver":   func(n *structs.Node) { n.Drivers["docker"] = &structs.DriverInfo{Detected: true, Healthy: true} },
		"meta to attr": func(n *structs.Node) { delete(n.Meta, "rack"); n.Attributes["rack"] = "r1" },
	} {
		n := testNode(3)
		change(n)
		if computedClass(n) == computedClass(a) {
			t.Errorf("%s change kept the class", name)
		}
	}
}

func TestDistinctHostsEnabled(t *testing.T) {
	for value, want := range map[string]bool{"": true, "true": true, "false": false, "0": false} {
		c := &structs.Constraint{Operator: structs.ConstraintDistinctHosts, Value: value}
		if got := distinctHostsEnabled(c); got != want {
			t.Errorf("value %q: got %v, want %v", value, got, want)
		}
	}
}

func TestAllocsFit(t *testing.T) {
	node := testNode(1)
	node.Reserved = &structs.Resources{CPU: 1000, MemoryMB: 1024}
	mk := func(cpu, mem int, terminal bool) *structs.Allocation {
		a := &structs.Allocation{Resources: &structs.Resources{CPU: cpu, MemoryMB: mem},
			DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientRunning}
		if terminal {
			a.DesiredStatus = structs.AllocDesiredStop
		}
		return a
	}
	for _, tc := range []struct {
		name   string
		allocs []*structs.Allocation
		fit    bool
		dim    string
		used   structs.Resources
	}{
		{"empty", nil, true, "", structs.Resources{}},
		{"exact", []*structs.Allocation{mk(2000, 4000, false), mk(1000, 3168, false)}, true, "", structs.Resources{CPU: 3000, MemoryMB: 7168}},
		{"cpu", []*structs.Allocation{mk(2000, 100, false), mk(1001, 100, false)}, false, "cpu", structs.Resources{CPU: 3001, MemoryMB: 200}},
		{"memory", []*structs.Allocation{mk(10, 7169, false)}, false, "memory", structs.Resources{CPU: 10, MemoryMB: 7169}},
		{"terminal ignored", []*structs.Allocation{mk(2000, 100, false), mk(9999, 9999, true)}, true, "", structs.Resources{CPU: 2000, MemoryMB: 100}},
		{"task resources fallback", []*structs.Allocation{{TaskResources: map[string]*structs.Resources{
			"a": {CPU: 2000}, "b": {CPU: 1500}}, DesiredStatus: structs.AllocDesiredRun}}, false, "cpu", structs.Resources{CPU: 3500}},
	} {
		fit, dim, used := AllocsFit(node, tc.allocs)
		if fit != tc.fit || dim != tc.dim || *used != tc.used {
			t.Errorf("%s: got (%v, %q, %+v), want (%v, %q, %+v)", tc.name, fit, dim, *used, tc.fit, tc.dim, tc.used)
		}
	}
}

func TestBinPackScoreOrder(t *testing.T) {
	avail := &structs.Resources{CPU: 4000, MemoryMB: 8192}
	need := &structs.Resources{CPU: 500, MemoryMB: 512}
	empty := binPackScore(avail, &structs.Resources{}, need)
	half := binPackScore(avail, &structs.Resources{CPU: 2000, MemoryMB: 4096}, need)
	full := binPackScore(avail, &structs.Resources{CPU: 3500, MemoryMB: 7680}, need)
	if !(empty < half && half < full) || full > 1 || empty < 0 {
		t.Fatalf("scores empty=%v half=%v full=%v", empty, half, full)
	}
}
