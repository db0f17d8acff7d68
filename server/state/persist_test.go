package state

import (
	"bytes"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// populated returns a store with something in every table.
func populated(t *testing.T) *StateStore {
	s := testStore(t)
	must(t, s.UpsertNode(1, mockNode("n1")))
	job := mockJob("web")
	job.Groups[0].Tasks[0].Config["ports"] = map[string]any{"http": int64(8080)}
	must(t, s.UpsertJob(2, 100, job))
	job2 := job.Copy()
	job2.Groups[0].Count = 3
	must(t, s.UpsertJob(3, 200, job2))
	must(t, s.UpsertEvals(4, []*structs.Evaluation{mockEval("e1", job, structs.EvalStatusComplete)}))
	a := mockAlloc("a1", job, "n1")
	must(t, s.UpsertPlanResults(5, &structs.ApplyPlanResultsEntry{AllocsPlaced: []*structs.Allocation{a}, Time: 5}))
	must(t, s.UpdateAllocsFromClient(6, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning,
		TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning, ExitCode: exitCode(0)}}}}))
	return s
}

// dump renders every table of a store, indexes included.
func dump(t *testing.T, s *StateStore) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range persistTables {
		it, err := s.db.Txn(false).Get(tbl.table, indexID)
		must(t, err)
		for raw := it.Next(); raw != nil; raw = it.Next() {
			b.WriteString(tbl.table + ": " + asJSON(t, raw) + "\n")
		}
	}
	return b.String()
}

func persist(t *testing.T, s *StateStore) []byte {
	t.Helper()
	snap, err := s.Snapshot()
	must(t, err)
	var buf bytes.Buffer
	must(t, snap.Persist(&buf))
	return buf.Bytes()
}

func TestPersistRestoreRoundTrip(t *testing.T) {
	s := populated(t)
	data := persist(t, s)
	r, err := Restore(bytes.NewReader(data), hclog.NewNullLogger())
	must(t, err)
	if want, got := dump(t, s), dump(t, r); want != got {
		t.Fatalf("restored state differs:\nwant:\n%s\ngot:\n%s", want, got)
	}
	if n := strings.Count(dump(t, r), "\n"); n < 8 {
		t.Fatalf("only %d rows restored", n)
	}
	// The restored store works: indexes are there and writes continue.
	idx, _ := r.LatestIndex()
	if idx != 6 {
		t.Fatalf("restored latest index = %d, want 6", idx)
	}
	v, _ := r.JobVersionsByID(nil, "default", "web")
	if jobVersionList(v) != "1,0," {
		t.Fatalf("restored versions: %s", jobVersionList(v))
	}
	must(t, r.UpdateAllocsFromClient(7, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientComplete}}))
	a, _ := r.AllocByID(nil, "a1")
	if a.ClientStatus != structs.AllocClientComplete {
		t.Fatal("restored store did not take a write")
	}
}

func TestRestoreRejectsBadStreams(t *testing.T) {
	data := persist(t, populated(t))
	cases := map[string][]byte{
		"empty":      nil,
		"not ours":   []byte("hello world, this is not a snapshot"),
		"truncated":  data[:len(data)/2],
		"no end":     data[:len(data)-1],
		"new format": append(append([]byte{}, snapshotMagic...), 99),
	}
	unknown := append([]byte{}, data[:len(data)-1]...)
	unknown = append(unknown, 77, 0xc0, byte(EndRecord))
	cases["unknown record"] = unknown
	for name, in := range cases {
		if _, err := Restore(bytes.NewReader(in), nil); err == nil {
			t.Errorf("%s: restore succeeded", name)
		} else if !strings.Contains(err.Error(), "restore state") {
			t.Errorf("%s: error without context: %v", name, err)
		}
	}

	// An unknown record flagged as ignorable is skipped.
	ignorable := append([]byte{}, data[:len(data)-1]...)
	ignorable = append(ignorable, byte(IgnoreUnknownRecordFlag|77), 0x81, 0xa1, 'k', 0x01, byte(EndRecord))
	r, err := Restore(bytes.NewReader(ignorable), nil)
	must(t, err)
	if a, _ := r.AllocByID(nil, "a1"); a == nil {
		t.Fatal("records lost around an ignorable one")
	}
}
