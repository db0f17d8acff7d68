package client

import (
	"os"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/structs"
)

// A service job purged and registered again at once with another spec
// runs the new spec, although the purged job's allocation is still being
// stopped on this node (the client caches job specs by ID and version).
func TestE2E_PurgedAndReregisteredJobRunsTheNewSpec(t *testing.T) {
	srv := startRealServer(t)
	c := startRealClient(t, srv)
	old := shJob("web", "echo old-spec; trap '' TERM; exec sleep 600")
	old.Type = structs.JobTypeService
	register(t, srv, old)
	waitLong(t, "the old spec running", func() bool {
		a := jobAllocs(t, srv, "web")
		return len(a) == 1 && a[0].ClientStatus == structs.AllocClientRunning
	})
	var reply structs.JobDeregisterResponse
	if err := srv.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: "web", Purge: true}, &reply); err != nil {
		t.Fatal(err)
	}
	fresh := shJob("web", "echo new-spec; exec sleep 600")
	fresh.Type = structs.JobTypeService
	register(t, srv, fresh)
	var placed *structs.Allocation
	waitLong(t, "the new job's allocation running", func() bool {
		for _, a := range jobAllocs(t, srv, "web") {
			if a.DesiredStatus == structs.AllocDesiredRun && a.ClientStatus == structs.AllocClientRunning {
				placed = a
				return true
			}
		}
		return false
	})
	d, err := allocdir.New(c.cfg.DataDir, placed.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	waitLong(t, "the new allocation's output", func() bool {
		b, _ := os.ReadFile(d.LogPath("web", allocdir.LogStdout))
		out = string(b)
		return out != ""
	})
	if !strings.Contains(out, "new-spec") {
		t.Fatalf("the re-registered job (version %d) ran %q, the purged job's spec", placed.JobVersion, out)
	}
}
