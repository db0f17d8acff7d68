package structs

import (
	"strings"
	"testing"
	"time"
)

func TestMeshSplitValidate(t *testing.T) {
	v3 := uint64(3)
	good := func() *MeshSplit {
		return &MeshSplit{Service: "api", Subsets: []*MeshSubset{{Name: "v1", Tags: []string{"v1"}, Weight: 90}, {Name: "v2", JobVersion: &v3, Weight: 10}},
			Routes: []*MeshRoute{{PathPrefix: "/beta", Subset: "v2", Retries: 2, Timeout: Duration(3 * time.Second)}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good split: %v", err)
	}
	cases := []struct {
		name string
		mut  func(s *MeshSplit)
		want string
	}{
		{"bad service", func(s *MeshSplit) { s.Service = "API_1" }, `service: "API_1" is invalid`},
		{"no subsets", func(s *MeshSplit) { s.Subsets, s.Routes = nil, nil }, "at least one subset"},
		{"sum", func(s *MeshSplit) { s.Subsets[1].Weight = 20 }, "weights add up to 110"},
		{"negative", func(s *MeshSplit) { s.Subsets[0].Weight, s.Subsets[1].Weight = -10, 110 }, "weight -10 is out of range"},
		{"duplicate", func(s *MeshSplit) { s.Subsets[1].Name = "v1"; s.Routes = nil }, `subset "v1": name is used by another subset`},
		{"unknown route subset", func(s *MeshSplit) { s.Routes[0].Subset = "v3" }, `route 1: subset "v3" is not defined`},
		{"path", func(s *MeshSplit) { s.Routes[0].PathPrefix = "beta" }, "must start with '/'"},
		{"retries", func(s *MeshSplit) { s.Routes[0].Retries = 11 }, "retries 11 is out of range"},
		{"nil subset", func(s *MeshSplit) { s.Subsets = append(s.Subsets, nil) }, "subset 3: is empty"},
	}
	for _, c := range cases {
		s := good()
		c.mut(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestMeshDefaultAllows(t *testing.T) {
	for _, c := range []struct {
		action string
		aclOn  bool
		want   bool
	}{{"", false, true}, {"", true, false}, {"allow", true, true}, {"deny", false, false}} {
		if got := MeshDefaultAllows(&Namespace{MeshDefaultAction: c.action}, c.aclOn); got != c.want {
			t.Errorf("action %q acl %v: %v, want %v", c.action, c.aclOn, got, c.want)
		}
	}
}
