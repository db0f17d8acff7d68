package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArtifact runs job files in Nomad's syntax with artifact blocks on a
// real agent, fetching from a real HTTP server on 127.0.0.1: the task cats
// a fetched file and a file unpacked from a .tar.gz; a wrong checksum fails
// the task with a Failed Artifact Download event naming both digests; a
// malformed checksum is refused by job validate.
func TestArtifact(t *testing.T) {
	greeting := []byte("hello from an artifact\n")
	tgz := artifactTarGz(t, "site/index.html", "<h1>unpacked</h1>\n")
	sum := sha256.Sum256(greeting)
	good := "sha256:" + hex.EncodeToString(sum[:])

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/greeting.txt":
			_, _ = w.Write(greeting)
		case "/site.tar.gz":
			_, _ = w.Write(tgz)
		default:
			http.NotFound(w, r)
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + ln.Addr().String()

	a := startAgent(t, agentOptions{dev: true})
	dir := t.TempDir()
	jobFile := func(name, checksum string) string {
		p := filepath.Join(dir, name+".hcl")
		src := fmt.Sprintf(`job %q {
  datacenters = ["*"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/greeting.txt local/www/site/index.html"]
      }
      artifact {
        source = "%s/greeting.txt"
        options {
          checksum = %q
        }
      }
      artifact {
        source      = "%s/site.tar.gz"
        destination = "local/www"
      }
    }
  }
}
`, name, base, checksum, base)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	if v := a.cli("job validate", jobFile("badsum", "sha256:abc")); v.code == 0 || !strings.Contains(v.stderr+v.stdout, "a sha256 digest is 64 hex digits") {
		t.Fatalf("job validate with a malformed checksum: want a failure naming it, got %s", v)
	}

	if run := a.cli("job run", jobFile("art", good)); run.code != 0 {
		a.fatalf("job run art: %s", run)
	}
	allocs := a.waitAllocs("art", "a complete allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "complete", describeAllocs(al)
	})
	logs := a.cli("alloc logs", allocs[0].ID)
	if logs.code != 0 || logs.stdout != "hello from an artifact\n<h1>unpacked</h1>\n" {
		t.Fatalf("alloc logs: want the fetched and the unpacked file, got %s", logs)
	}

	wrong := "sha256:" + strings.Repeat("0", 64)
	// job run waits for the task and reports why it could not start.
	want := fmt.Sprintf("artifact %s/greeting.txt: checksum mismatch: want %s, got %s", base, wrong, good)
	if run := a.cli("job run", jobFile("wrongsum", wrong)); run.code != 1 || !strings.Contains(run.stderr, want) {
		a.fatalf("job run wrongsum: want exit 1 naming the checksum mismatch, got %s", run)
	}
	allocs = a.waitAllocs("wrongsum", "a failed allocation", func(al []alloc) (bool, string) {
		return len(al) >= 1 && al[0].ClientStatus == "failed", describeAllocs(al)
	})
	var found bool
	for _, ts := range allocs[0].TaskStates {
		for _, e := range ts.Events {
			if e.Type == "Failed Artifact Download" && strings.Contains(e.Message, want) {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("want a Failed Artifact Download event %q, got %s", want, describeAllocs(allocs))
	}
}

func artifactTarGz(t *testing.T, name, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte(body))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
