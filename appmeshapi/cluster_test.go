package appmeshapi

import (
	"regexp"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// Wildcards match as App Mesh's do, and literal parts stay literal.
func TestWildcardRegexp(t *testing.T) {
	for _, c := range []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"centos*", []string{"centos", "centos7.6", "centos 8"}, []string{"ubuntu", "xcentos"}},
		{"x86_?4", []string{"x86_64"}, []string{"x86_4", "x86_644"}},
		{"a.b*", []string{"a.b", "a.bc"}, []string{"axb", "aXbc"}},
		{"(x|y)+?", []string{"(x|y)+z"}, []string{"x", "xx"}},
		{"*", []string{"", "anything"}, nil},
		{`\d*`, []string{`\d`, `\d9`}, []string{"9"}},
	} {
		re := regexp.MustCompile(WildcardRegexp(c.pattern))
		for _, s := range c.match {
			if !re.MatchString(s) {
				t.Errorf("%q (%s) should match %q", c.pattern, re, s)
			}
		}
		for _, s := range c.nomatch {
			if re.MatchString(s) {
				t.Errorf("%q (%s) should not match %q", c.pattern, re, s)
			}
		}
	}
}

// A body with a selector becomes a job placed by it: not pinned to the
// node, distinct hosts, one constraint per label, count = replication;
// GET shows the selector back, and enable restores the copies.
func TestClusterAppJob(t *testing.T) {
	app, err := ParseApp([]byte(`{"name":"web","command":"sleep 30","replication":3,
		"condition":{"zone":"eu-*","HOST_NAME":"node1"},"pid":null}`), "web")
	if err != nil {
		t.Fatal(err)
	}
	if !app.IsCluster() {
		t.Fatal("an application with a condition is a cluster application")
	}
	job, err := app.ToJob("node-id-of-receiver")
	if err != nil {
		t.Fatal(err)
	}
	g := job.Groups[0]
	if g.Count != 3 {
		t.Errorf("count %d, want 3", g.Count)
	}
	for _, c := range job.Constraints {
		if c.Value == "node-id-of-receiver" {
			t.Errorf("cluster application pinned to the receiving node: %+v", c)
		}
	}
	want := []structs.Constraint{
		{Operator: structs.ConstraintDistinctHosts, Value: "true"},
		{Attribute: "${node.unique.name}", Operator: structs.ConstraintEqual, Value: "node1"},
		{Attribute: "${meta.zone}", Operator: structs.ConstraintRegex, Value: "^eu-.*$"},
	}
	if len(g.Constraints) != len(want) {
		t.Fatalf("constraints %d, want %d", len(g.Constraints), len(want))
	}
	for i, c := range g.Constraints {
		if *c != want[i] {
			t.Errorf("constraint %d: %+v, want %+v", i, *c, want[i])
		}
	}
	if !IsAppJob(job) || !IsClusterJob(job) {
		t.Error("job not marked as a cluster application")
	}
	v := View(job, nil)
	if v["replication"] != 3 || v["condition"].(map[string]string)["zone"] != "eu-*" {
		t.Errorf("view: replication %v condition %v", v["replication"], v["condition"])
	}
	job.Stop, g.Count = true, 0
	Enable(job)
	if g.Count != 3 {
		t.Errorf("enable: count %d, want 3", g.Count)
	}
}

// Replication alone makes a cluster application of one selector-less copy
// set; its default is 1; a local application stays pinned and has no
// selector fields in its view.
func TestClusterAppDefaults(t *testing.T) {
	app, err := ParseApp([]byte(`{"name":"one","command":"true","condition":{"os":"linux"}}`), "one")
	if err != nil {
		t.Fatal(err)
	}
	job, _ := app.ToJob("n1")
	if job.Groups[0].Count != 1 || job.Meta[MetaReplication] != "1" {
		t.Errorf("default replication: count %d meta %q", job.Groups[0].Count, job.Meta[MetaReplication])
	}
	off, err := ParseApp([]byte(`{"name":"off","command":"true","replication":2,"status":0}`), "off")
	if err != nil {
		t.Fatal(err)
	}
	job, _ = off.ToJob("n1")
	if job.Groups[0].Count != 0 {
		t.Errorf("disabled cluster application has count %d", job.Groups[0].Count)
	}
	local, _ := ParseApp([]byte(`{"name":"loc","command":"true","condition":{},"replication":0}`), "loc")
	if local.IsCluster() {
		t.Error("empty condition and replication 0 (the SDKs' unset) made a cluster application")
	}
	job, _ = local.ToJob("n1")
	if len(job.Constraints) != 1 || job.Constraints[0].Value != "n1" {
		t.Errorf("local application not pinned: %+v", job.Constraints)
	}
	if _, ok := View(job, nil)["replication"]; ok {
		t.Error("local application's view has replication")
	}
}

// Bad selectors are refused with the field named.
func TestClusterAppInvalid(t *testing.T) {
	for body, want := range map[string]string{
		`{"name":"x","command":"true","replication":-1}`:     `"replication"`,
		`{"name":"x","command":"true","replication":"two"}`:  `"replication"`,
		`{"name":"x","command":"true","replication":100000}`: `"replication"`,
		`{"name":"x","command":"true","condition":["a"]}`:    `"condition"`,
		`{"name":"x","command":"true","condition":{"":"a"}}`: `"condition"`,
		`{"name":"x","command":"true","condition":{"os":1}}`: `"condition"`,
	} {
		_, err := ParseApp([]byte(body), "x")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", body, err, want)
		}
	}
	if _, err := ParseApp([]byte(`{"command":"true","replication":2}`), ""); err == nil {
		t.Error("a run with replication was accepted")
	}
}
