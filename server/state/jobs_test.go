package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestUpsertJobVersionsOnlyOnSpecChange(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertJob(10, 1000, job))

	got, err := s.JobByID(nil, "", "web")
	must(t, err)
	if got.Version != 0 || got.CreateIndex != 10 || got.ModifyIndex != 10 || got.JobModifyIndex != 10 || got.SubmitTime != 1000 {
		t.Fatalf("new job: %+v", got)
	}
	if got.Status != structs.JobStatusPending {
		t.Fatalf("status = %q, want pending", got.Status)
	}
	if got == job {
		t.Fatal("store kept the caller's object instead of a copy")
	}

	// Same spec, with server-owned fields and a JSON-typed number that
	// differ: no new version.
	same := mockJob("web")
	same.Version, same.Status, same.SubmitTime, same.JobModifyIndex = 42, "dead", 5, 99
	must(t, s.UpsertJob(11, 2000, same))
	got, _ = s.JobByID(nil, "default", "web")
	if got.Version != 0 || got.JobModifyIndex != 10 || got.ModifyIndex != 11 || got.SubmitTime != 1000 || got.CreateIndex != 10 {
		t.Fatalf("unchanged spec changed the job: %+v", got)
	}

	changed := mockJob("web")
	changed.Groups[0].Count = 5
	must(t, s.UpsertJob(12, 3000, changed))
	got, _ = s.JobByID(nil, "default", "web")
	if got.Version != 1 || got.JobModifyIndex != 12 || got.ModifyIndex != 12 || got.SubmitTime != 3000 || got.CreateIndex != 10 {
		t.Fatalf("changed spec: %+v", got)
	}
	v0, err := s.JobByIDAndVersion(nil, "default", "web", 0)
	must(t, err)
	if v0 == nil || v0.Groups[0].Count != 2 {
		t.Fatalf("version 0 = %+v", v0)
	}
	if idx, _ := s.Index(TableJobVersions); idx != 12 {
		t.Fatalf("job_versions index = %d, want 12", idx)
	}
}

func TestUpsertJobKeepsLastVersions(t *testing.T) {
	s := testStore(t)
	for i := 0; i < 10; i++ {
		j := mockJob("web")
		j.Groups[0].Count = i + 1
		must(t, s.UpsertJob(uint64(100+i), int64(i), j))
	}
	versions, err := s.JobVersionsByID(nil, "default", "web")
	must(t, err)
	if got := jobVersionList(versions); got != "9,8,7,6,5,4," {
		t.Fatalf("versions = %s, want 9..4", got)
	}
	if old, _ := s.JobByIDAndVersion(nil, "default", "web", 3); old != nil {
		t.Fatal("version 3 was not dropped")
	}
	// Another job's versions are separate, even with an ID prefix in common.
	must(t, s.UpsertJob(200, 0, mockJob("web2")))
	versions, _ = s.JobVersionsByID(nil, "default", "web")
	if len(versions) != JobVersionsToKeep {
		t.Fatalf("web has %d versions after web2 was added", len(versions))
	}
}

func TestStopAndDeleteJob(t *testing.T) {
	s := testStore(t)
	must(t, s.UpsertJob(5, 1, mockJob("web")))
	must(t, s.StopJob(6, "default", "web", 77))
	got, _ := s.JobByID(nil, "default", "web")
	if !got.Stop || got.Version != 1 || got.JobModifyIndex != 6 || got.SubmitTime != 77 {
		t.Fatalf("stopped job: %+v", got)
	}
	if got.Status != structs.JobStatusDead {
		t.Fatalf("stopped job without allocations: status %q, want dead", got.Status)
	}
	// Stopping again is not a new version.
	must(t, s.StopJob(7, "default", "web", 88))
	got, _ = s.JobByID(nil, "default", "web")
	if got.Version != 1 {
		t.Fatalf("second stop made version %d", got.Version)
	}
	// Running it again (Stop cleared) is a new version.
	must(t, s.UpsertJob(8, 99, mockJob("web")))
	got, _ = s.JobByID(nil, "default", "web")
	if got.Stop || got.Version != 2 {
		t.Fatalf("re-run job: %+v", got)
	}

	must(t, s.DeleteJob(9, "default", "web"))
	if got, _ := s.JobByID(nil, "default", "web"); got != nil {
		t.Fatal("purged job still there")
	}
	if vs, _ := s.JobVersionsByID(nil, "default", "web"); len(vs) != 0 {
		t.Fatalf("purged job still has %d versions", len(vs))
	}
	if err := s.DeleteJob(10, "default", "web"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("purge of a missing job: err = %v, want not found", err)
	}
	if err := s.StopJob(10, "default", "nope", 1); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("stop of a missing job: err = %v, want not found", err)
	}
	if idx, _ := s.LatestIndex(); idx != 9 {
		t.Fatalf("failed writes moved the latest index to %d", idx)
	}
}

func TestJobsSortedAndNamespaced(t *testing.T) {
	s := testStore(t)
	for i, id := range []string{"b", "a", "c"} {
		must(t, s.UpsertJob(uint64(i+1), 0, mockJob(id)))
	}
	other := mockJob("a")
	other.Namespace = "team"
	must(t, s.UpsertJob(4, 0, other))
	jobs, err := s.Jobs(nil)
	must(t, err)
	var got []string
	for _, j := range jobs {
		got = append(got, j.Namespace+"/"+j.ID)
	}
	if got, want := strings.Join(got, " "), "default/a default/b default/c team/a"; got != want {
		t.Fatalf("jobs = %s, want %s", got, want)
	}
	if j, _ := s.JobByID(nil, "team", "a"); j == nil || j.Namespace != "team" {
		t.Fatalf("namespaced job = %+v", j)
	}
	if j, _ := s.JobByID(nil, "team", "b"); j != nil {
		t.Fatal("job found in the wrong namespace")
	}
}

func TestSpecEqual(t *testing.T) {
	a := mockJob("web")
	b := mockJob("web")
	b.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/sleep", "args": []any{"3600"}}
	a.Groups[0].Tasks[0].Config["port"] = float64(8080) // from JSON
	b.Groups[0].Tasks[0].Config["port"] = int64(8080)   // from msgpack
	a.Meta = map[string]string{}
	if !specEqual(a, b) {
		t.Fatal("same spec with different number types / empty maps compared unequal")
	}
	b.Groups[0].Tasks[0].Config["port"] = int64(8081)
	if specEqual(a, b) {
		t.Fatal("different port compared equal")
	}
	b.Groups[0].Tasks[0].Config["port"] = 8080.5
	if specEqual(a, b) {
		t.Fatal("8080 equals 8080.5")
	}
	c := mockJob("web")
	c.Groups[0].Tasks[0].Env = map[string]string{"A": "1"}
	if specEqual(mockJob("web"), c) {
		t.Fatal("added env compared equal")
	}
	if !numbersEqual(reflectValue(int64(-1)), reflectValue(int(-1))) || numbersEqual(reflectValue(int64(-1)), reflectValue(^uint64(0))) {
		t.Fatal("signed/unsigned comparison is wrong")
	}
}
