package agent

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// amUpload sends content as App Mesh's SDKs upload a file.
func amUpload(t *testing.T, base, remote, content string, hdr ...string) amResp {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("filename", filepath.Base(remote))
	part, _ := mw.CreateFormFile("file", "filename")
	_, _ = io.WriteString(part, content)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", base+"/appmesh/file/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-File-Path", url.PathEscape(remote))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return amResp{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// TestAppMeshFiles uploads and downloads files through App Mesh's API on a
// real dev agent, and refuses every way out of the base directory: `..`,
// absolute paths elsewhere, and symlinks that lead out, for reads and
// writes.
func TestAppMeshFiles(t *testing.T) {
	a, _ := startTestAgent(t, "am-files")
	base := a.http.amFileBase
	if base == "" {
		t.Fatal("the dev agent has no file base directory")
	}
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}
	get := func(code int, p string) amResp {
		t.Helper()
		return c.want(code, "GET", "/appmesh/file/download", "", "X-File-Path", url.PathEscape(p))
	}

	r := amUpload(t, c.base, "dir/hello world.txt", "hello\n", "X-File-Mode", "384", "X-File-User", "no-such-user-here")
	if r.code != http.StatusOK {
		t.Fatalf("upload: %d %s", r.code, r.body)
	}
	wantKeys(t, "upload", r.body, "message")
	local := filepath.Join(base, "dir", "hello world.txt")
	if fi, err := os.Stat(local); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("uploaded file: %v %v, want mode 0600", fi, err)
	}
	r = get(http.StatusOK, "dir/hello world.txt")
	if r.body != "hello\n" || r.header.Get("X-File-Mode") != strconv.Itoa(0o600) || r.header.Get("X-File-User") == "" {
		t.Errorf("download: %q mode %q user %q", r.body, r.header.Get("X-File-Mode"), r.header.Get("X-File-User"))
	}
	get(http.StatusOK, local) // absolute, inside the base
	get(http.StatusNotFound, "dir/none")
	get(http.StatusBadRequest, "dir")
	if err := syscall.Mkfifo(filepath.Join(base, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	get(http.StatusBadRequest, "fifo") // refused, not a request that hangs

	// A secret beside the base directory, and symlinks to it.
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(base, "evil")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../secret", "dir/../../secret", "/etc/passwd", filepath.Join(outside, "secret"),
		"link/secret", "evil", base + "/../" + filepath.Base(base) + "x"} {
		if r := get(http.StatusForbidden, p); bytes.Contains([]byte(r.body), []byte("s3cret")) {
			t.Errorf("download %q leaked the secret", p)
		}
	}
	for _, p := range []string{"../planted", "/tmp/planted", "link/planted"} {
		if r := amUpload(t, c.base, p, "planted"); r.code != http.StatusForbidden {
			t.Errorf("upload to %q: %d %s, want 403", p, r.code, r.body)
		}
	}
	// Uploading onto a symlink replaces the link (the rename does not
	// follow it): the file it pointed to is untouched.
	if r := amUpload(t, c.base, "evil", "planted"); r.code != http.StatusOK {
		t.Errorf("upload onto the symlink evil: %d %s", r.code, r.body)
	}
	if fi, err := os.Lstat(filepath.Join(base, "evil")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("evil after the upload: %v %v, want a regular file", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "s3cret" {
		t.Errorf("the secret outside was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Errorf("an upload planted a file outside the base directory")
	}

	// Not App Mesh's multipart: refused.
	c.want(http.StatusBadRequest, "POST", "/appmesh/file/upload", `{"file":"x"}`, "X-File-Path", "x")
}
