package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestNomadInitFullRuns runs jobspec/testdata/nomad/init-full.nomad.hcl,
// the job using every block and attribute of `nomad job init`'s regular
// example, unchanged on a dev agent with docker. Its artifact comes from a
// public URL by default; this machine reaches only loopback, so the test
// serves an archive on 127.0.0.1 and passes its URL and checksum with the
// file's own variables (-var), as a user would. Both allocations must run,
// answer on their dynamic ports, and have the archive unpacked in local/.
func TestNomadInitFullRuns(t *testing.T) {
	t.Parallel()
	nomadInitImage(t, "kv-full")

	tgz := artifactTarGz(t, "seed.txt", "seeded\n")
	sum := sha256.Sum256(tgz)
	var fetched atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/kv/seed.tar.gz" {
			http.NotFound(w, r)
			return
		}
		fetched.Add(1)
		_, _ = w.Write(tgz)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	a := startAgent(t, agentOptions{dev: true})
	waitDockerHealthy(a)
	// The file is run as it is in the repository: nothing is stripped.
	if r := a.cli("job run", "-detach",
		"-var", "seed_url=http://"+ln.Addr().String()+"/kv/seed.tar.gz",
		"-var", "seed_checksum=sha256:"+hex.EncodeToString(sum[:]),
		"../jobspec/testdata/nomad/init-full.nomad.hcl"); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	allocs := a.waitAllocs("kv-full", "both allocations to run", func(as []alloc) (bool, string) {
		return countStatus(as, "run", "running") == 2, "want 2 running"
	})
	for _, al := range allocs {
		waitKVAnswers(a, al.ID)
		matches, _ := filepath.Glob(filepath.Join(a.dataDir, "*", "alloc", al.ID, "server", "local", "seed.txt"))
		if len(matches) != 1 {
			a.fatalf("allocation %s: unpacked artifact local/seed.txt not found under %s (%v)", shortID(al.ID), a.dataDir, matches)
		}
		if b, err := os.ReadFile(matches[0]); err != nil || string(b) != "seeded\n" {
			a.fatalf("allocation %s: local/seed.txt = %q, %v", shortID(al.ID), b, err)
		}
	}
	if n := fetched.Load(); n < 2 {
		a.fatalf("the artifact was fetched %d times from the loopback server; want one per allocation", n)
	}
	if r := a.cli("job stop", "kv-full"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
}
