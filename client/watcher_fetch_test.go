package client

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A listed allocation that the fetch did not return must fail the sync, so
// that the watcher keeps its old index and lists again: a server behind
// the one that listed it (a leader change between the two calls) answers
// without it, and later answers list only newer changes.
func TestMissingFromFetchFailsTheSync(t *testing.T) {
	asked := []string{"11111111-aaaa", "22222222-bbbb", "33333333-cccc"}
	all := []*structs.Allocation{{ID: asked[0]}, {ID: asked[1]}, {ID: asked[2]}}
	if err := missingFromFetch(asked, all); err != nil {
		t.Fatalf("every allocation fetched, got %v", err)
	}
	err := missingFromFetch(asked, all[:1])
	if err == nil {
		t.Fatal("two allocations missing from the answer, got no error")
	}
	for _, want := range []string{"2 listed allocation(s)", structs.ShortID(asked[1]), structs.ShortID(asked[2])} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
