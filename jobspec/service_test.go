package jobspec

import (
	"encoding/json"
	"strings"
	"testing"
)

// The service block of DESIGN.md (testdata/api.hcl) parses, and its JSON
// is the one DESIGN.md shows.
func TestServiceBlock(t *testing.T) {
	job := parseHCLString(t, mustRead(t, "testdata/api.hcl"))
	g := job.Groups[0]
	if len(g.Services) != 1 {
		t.Fatalf("want 1 service on the group, got %d", len(g.Services))
	}
	s := g.Services[0]
	if s.Name != "api" || s.Port != "http" || len(s.Checks) != 1 {
		t.Fatalf("service %+v", s)
	}
	c := s.Checks[0]
	if c.Type != "http" || c.Path != "/health" || c.Interval.Std().String() != "5s" || c.Timeout.Std().String() != "1s" {
		t.Fatalf("check %+v", c)
	}
	b, err := json.Marshal(g.Services)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"api","port":"http","checks":[{"type":"http","path":"/health","interval":"5s","timeout":"1s"}]}]`
	if string(b) != want {
		t.Fatalf("JSON of the service:\n got %s\nwant %s", b, want)
	}
	if err := s.Validate(g.Network); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func TestServiceValidation(t *testing.T) {
	job := parseHCLString(t, strings.Replace(mustRead(t, "testdata/api.hcl"), `port = "http"`, `port = "nope"`, 1))
	err := job.Groups[0].Validate(job)
	if err == nil || !strings.Contains(err.Error(), `port "nope" is not a port label`) {
		t.Fatalf("want an error about the unknown port label, got %v", err)
	}
}

// A job ID with characters a service name may not hold ("_", ".") still
// gets a valid default service name, and the job validates.
func TestServiceDefaultNameFromAnyJobID(t *testing.T) {
	src := strings.Replace(mustRead(t, "testdata/api.hcl"), `job "api"`, `job "my_api.v2"`, 1)
	src = strings.Replace(src, `name = "api"`, ``, 1)
	job := parseHCLString(t, src)
	job.Canonicalize()
	if got := job.Groups[0].Services[0].Name; got != "my-api-v2-api" {
		t.Fatalf("default service name %q, want my-api-v2-api", got)
	}
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	// A name the user wrote is kept and checked as written.
	bad := parseHCLString(t, strings.Replace(mustRead(t, "testdata/api.hcl"), `name = "api"`, `name = "my_api"`, 1))
	bad.Canonicalize()
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "my_api") {
		t.Fatalf("an invalid service name the user wrote: %v", err)
	}
}
