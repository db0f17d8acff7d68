package taskrunner

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// artifactServer serves files by path from a map over real HTTP.
func artifactServer(t *testing.T, files map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length: the limit must hold while reading
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type entry struct {
	name, body string
	typ        byte // tar type; 0: regular
}

func tarGz(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.typ != 0 {
			h.Typeflag, h.Size, h.Linkname = e.typ, 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == 0 {
			_, _ = tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fetchInto(t *testing.T, f *artifactFetcher, taskDir string, a *structs.TaskArtifact) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return f.fetch(ctx, taskDir, a)
}

func readArtifact(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return string(b)
}

// noLeftovers fails when a temporary file or directory stayed behind, or
// anything but the expected names is in dir.
func noLeftovers(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, want)
	}
}

func TestArtifact_HTTPChecksum(t *testing.T) {
	body := []byte("hello artifact\n")
	srv := artifactServer(t, map[string][]byte{"/files/hello.txt": body})
	f := newArtifactFetcher(nil)

	dir := t.TempDir()
	a := &structs.TaskArtifact{Source: srv.URL + "/files/hello.txt", Checksum: sha256Of(body)}
	if err := fetchInto(t, f, dir, a); err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if got := readArtifact(t, filepath.Join(dir, "local/hello.txt")); got != string(body) {
		t.Fatalf("content = %q", got)
	}
	noLeftovers(t, filepath.Join(dir, "local"), "hello.txt")

	// A wrong checksum: a clear message, and nothing placed.
	dir2 := t.TempDir()
	wrong := "sha256:" + strings.Repeat("0", 64)
	a2 := &structs.TaskArtifact{Source: srv.URL + "/files/hello.txt", Options: map[string]string{"checksum": wrong}}
	err := fetchInto(t, f, dir2, a2)
	want := "checksum mismatch: want " + wrong + ", got " + sha256Of(body)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	noLeftovers(t, filepath.Join(dir2, "local"))

	// md5 and mode file with a destination path.
	a3 := &structs.TaskArtifact{Source: srv.URL + "/files/hello.txt", Mode: "file", Destination: "conf/app.conf",
		Checksum: "md5:" + strings.Repeat("0", 32)}
	if err := fetchInto(t, f, dir, a3); err == nil || !strings.Contains(err.Error(), "checksum mismatch: want md5:") {
		t.Fatalf("md5 err = %v", err)
	}
	a3.Checksum = ""
	if err := fetchInto(t, f, dir, a3); err != nil {
		t.Fatal(err)
	}
	if got := readArtifact(t, filepath.Join(dir, "conf/app.conf")); got != string(body) {
		t.Fatalf("mode file content = %q", got)
	}

	// A server error says what the server answered.
	err = fetchInto(t, f, dir, &structs.TaskArtifact{Source: srv.URL + "/missing"})
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("404 err = %v", err)
	}
}

func TestArtifact_Unpack(t *testing.T) {
	tgz := tarGz(t, []entry{{name: "app/bin.sh", body: "#!/bin/sh\n"}, {name: "README", body: "read me"}})
	zp := zipOf(t, []entry{{name: "z/one.txt", body: "one"}})
	srv := artifactServer(t, map[string][]byte{"/a.tar.gz": tgz, "/b.zip": zp, "/c.tgz": tgz})
	f := newArtifactFetcher(nil)
	dir := t.TempDir()

	for _, a := range []*structs.TaskArtifact{
		{Source: srv.URL + "/a.tar.gz", Checksum: sha256Of(tgz)},
		{Source: srv.URL + "/b.zip", Destination: "local/zipped", Mode: "dir"},
		{Source: srv.URL + "/c.tgz", Destination: "local/packed", Options: map[string]string{"archive": "false"}},
	} {
		if err := fetchInto(t, f, dir, a); err != nil {
			t.Fatalf("fetch %s: %v", a.Source, err)
		}
	}
	if got := readArtifact(t, filepath.Join(dir, "local/app/bin.sh")); got != "#!/bin/sh\n" {
		t.Fatalf("unpacked = %q", got)
	}
	if got := readArtifact(t, filepath.Join(dir, "local/zipped/z/one.txt")); got != "one" {
		t.Fatalf("zip unpacked = %q", got)
	}
	noLeftovers(t, filepath.Join(dir, "local"), "README", "app", "packed", "zipped")
	noLeftovers(t, filepath.Join(dir, "local/packed"), "c.tgz")

	// A second fetch (a restarted task) replaces the files in place.
	if err := fetchInto(t, f, dir, &structs.TaskArtifact{Source: srv.URL + "/a.tar.gz"}); err != nil {
		t.Fatalf("refetch: %v", err)
	}
	// Mode dir with a plain file is refused.
	srv2 := artifactServer(t, map[string][]byte{"/plain.txt": []byte("x")})
	err := fetchInto(t, f, dir, &structs.TaskArtifact{Source: srv2.URL + "/plain.txt", Mode: "dir"})
	if err == nil || !strings.Contains(err.Error(), `mode "dir" needs an archive`) {
		t.Fatalf("mode dir err = %v", err)
	}
}

// Nothing a job writes may land outside the task directory: not through
// the destination, an archive entry, a link in the archive, or a symlink
// the task left in its directory.
func TestArtifact_Traversal(t *testing.T) {
	outside := t.TempDir()
	evilTar := tarGz(t, []entry{{name: "ok.txt", body: "ok"}, {name: "../../../" + filepath.Base(outside) + "/evil", body: "x"}})
	absTar := tarGz(t, []entry{{name: filepath.Join(outside, "abs"), body: "x"}})
	linkTar := tarGz(t, []entry{{name: "passwd", typ: tar.TypeSymlink}})
	hardTar := tarGz(t, []entry{{name: "passwd", typ: tar.TypeLink}})
	evilZip := zipOf(t, []entry{{name: "../../evil.txt", body: "x"}})
	srv := artifactServer(t, map[string][]byte{"/evil.tar.gz": evilTar, "/abs.tar.gz": absTar,
		"/link.tar.gz": linkTar, "/hard.tar.gz": hardTar, "/evil.zip": evilZip, "/f.txt": []byte("f")})
	f := newArtifactFetcher(nil)

	cases := []struct {
		a    structs.TaskArtifact
		want string
	}{
		{structs.TaskArtifact{Source: srv.URL + "/evil.tar.gz"}, "leaves the destination directory"},
		{structs.TaskArtifact{Source: srv.URL + "/abs.tar.gz"}, "leaves the destination directory"},
		{structs.TaskArtifact{Source: srv.URL + "/link.tar.gz"}, "is a link or special file"},
		{structs.TaskArtifact{Source: srv.URL + "/hard.tar.gz"}, "is a link or special file"},
		{structs.TaskArtifact{Source: srv.URL + "/evil.zip"}, "leaves the destination directory"},
		{structs.TaskArtifact{Source: srv.URL + "/f.txt", Destination: "../x"}, "leaves the task directory"},
		{structs.TaskArtifact{Source: srv.URL + "/f.txt", Destination: "local/../../x"}, "leaves the task directory"},
		{structs.TaskArtifact{Source: srv.URL + "/f.txt", Mode: "file", Destination: "/etc/x"}, "leaves the task directory"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		err := fetchInto(t, f, dir, &c.a)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: err = %v, want %q", c.a.Source, c.a.Destination, err, c.want)
		}
		noLeftovers(t, filepath.Join(dir, "local"))
	}

	// A symlink in the task directory pointing out of it.
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "local")); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*structs.TaskArtifact{
		{Source: srv.URL + "/f.txt"},
		{Source: srv.URL + "/f.txt", Mode: "file", Destination: "local/f"},
	} {
		if err := fetchInto(t, f, dir, a); err == nil {
			t.Errorf("fetch through a symlink out of the task dir succeeded (%+v)", a)
		}
	}
	noLeftovers(t, outside)
}

func TestArtifact_SizeLimit(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 3000)
	bomb := tarGz(t, []entry{{name: "big", body: string(bytes.Repeat([]byte("z"), 8192))}})
	srv := artifactServer(t, map[string][]byte{"/big.bin": big, "/bomb.tar.gz": bomb})
	f := newArtifactFetcher(&Policy{ArtifactMaxSize: 2048})

	cases := map[string]string{
		srv.URL + "/big.bin":           "download is 3000 bytes, larger than the client's limit",
		srv.URL + "/big.bin?chunked=1": "download is larger than the client's limit",
		srv.URL + "/bomb.tar.gz":       "unpacked size is larger than the client's limit",
	}
	for src, want := range cases {
		dir := t.TempDir()
		err := fetchInto(t, f, dir, &structs.TaskArtifact{Source: src})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "artifact_max_size_mb") {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
		noLeftovers(t, filepath.Join(dir, "local"))
	}
}

// Local sources are denied unless the client lists their directory, and a
// symlink cannot lead out of a listed directory.
func TestArtifact_LocalSources(t *testing.T) {
	allowed, secret := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(allowed, "app.txt"), []byte("app"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secret, "key"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(secret, "key"), filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(allowed, "app.txt")

	err := fetchInto(t, newArtifactFetcher(nil), t.TempDir(), &structs.TaskArtifact{Source: src})
	if err == nil || !strings.Contains(err.Error(), "local sources are disabled on this client") {
		t.Fatalf("default err = %v", err)
	}
	f := newArtifactFetcher(&Policy{ArtifactLocalDirs: []string{allowed}})
	dir := t.TempDir()
	if err := fetchInto(t, f, dir, &structs.TaskArtifact{Source: "file://" + src}); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	if got := readArtifact(t, filepath.Join(dir, "local/app.txt")); got != "app" {
		t.Fatalf("content = %q", got)
	}
	for _, p := range []string{filepath.Join(secret, "key"), filepath.Join(allowed, "link"), filepath.Join(allowed, "../", filepath.Base(secret), "key")} {
		err := fetchInto(t, f, t.TempDir(), &structs.TaskArtifact{Source: p})
		if err == nil || !strings.Contains(err.Error(), "outside the client's artifact_local_dirs") {
			t.Errorf("%s: err = %v", p, err)
		}
	}
}

// A failed download is a Failed Artifact Download event and follows the
// restart policy: the next attempt fetches the file and the task reads it.
func TestTaskRunner_ArtifactRestart(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("fetched\n"))
	}))
	t.Cleanup(srv.Close)

	tr, dir := newRunner(t, `cat local/data.txt`)
	tr.task.Artifacts = []*structs.TaskArtifact{{Source: srv.URL + "/data.txt?token=secret"}}
	attempts := 2
	tr.restarts = newRestartTracker(&structs.RestartPolicy{Attempts: &attempts, Interval: structs.Duration(time.Hour),
		Delay: structs.Duration(10 * time.Millisecond), Mode: structs.RestartModeFail}, structs.JobTypeBatch, false)
	tr.hooks = append(tr.hooks, artifactHookFor(tr))
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)

	s := tr.State()
	ev := hasEvent(s, structs.TaskEventArtifactFailure)
	if ev == nil || !strings.Contains(ev.Message, "server answered 503") || strings.Contains(ev.Message, "secret") {
		t.Fatalf("want a Failed Artifact Download event without the token, got %+v", s.Events)
	}
	if s.Failed || s.Restarts != 1 {
		t.Fatalf("want one restart and success, got failed=%v restarts=%d events %+v", s.Failed, s.Restarts, s.Events)
	}
	out := readArtifact(t, dir.LogPath("web", "stdout"))
	if out != "fetched\n" {
		t.Fatalf("stdout = %q", out)
	}
}

// A kill during a download that would never end stops it: the task is
// dead and killed, not failed, and no download failure is reported.
func TestTaskRunner_ArtifactKilledDuringDownload(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done() // the client must hang up
	}))
	t.Cleanup(srv.Close)

	tr, dir := newRunner(t, `exit 0`)
	tr.task.Artifacts = []*structs.TaskArtifact{{Source: srv.URL + "/slow.bin"}}
	tr.hooks = append(tr.hooks, artifactHookFor(tr))
	go tr.Run()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		t.Fatal("the download never started")
	}
	tr.Kill("test")
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	if s.State != structs.TaskStateDead || s.Failed || hasEvent(s, structs.TaskEventKilled) == nil || hasEvent(s, structs.TaskEventArtifactFailure) != nil {
		t.Fatalf("want dead, killed and not failed, got %+v", s)
	}
	noLeftovers(t, filepath.Join(dir.TaskDir("web"), "local"))
}
