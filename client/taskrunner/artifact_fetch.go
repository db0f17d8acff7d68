package taskrunner

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// DefaultArtifactMaxSize bounds one download, and the unpacked size of one
// archive, when the client sets no artifact_max_size_mb.
const DefaultArtifactMaxSize = 1 << 30

// artifactHTTPTimeout bounds one whole download; a stalled server must not
// hold the task in setup for ever.
const artifactHTTPTimeout = 30 * time.Minute

// artifactFetcher fetches a task's artifacts into its directory. Every
// write goes through an os.Root of the task directory, so no destination,
// archive entry or symlink met on the way can place a file outside it.
type artifactFetcher struct {
	client    *http.Client
	localDirs []string // directories local sources may come from; none: denied
	maxSize   int64
}

func newArtifactFetcher(p *Policy) *artifactFetcher {
	f := &artifactFetcher{
		client:  &http.Client{Timeout: artifactHTTPTimeout},
		maxSize: DefaultArtifactMaxSize,
	}
	if p != nil {
		f.localDirs = p.ArtifactLocalDirs
		if p.ArtifactMaxSize > 0 {
			f.maxSize = p.ArtifactMaxSize
		}
	}
	return f
}

// fetch places one artifact under taskDir: download (or copy) to a
// temporary file next to the destination, verify the checksum, then rename
// or unpack. A failure leaves nothing half-written at the destination.
func (f *artifactFetcher) fetch(ctx context.Context, taskDir string, a *structs.TaskArtifact) error {
	root, err := os.OpenRoot(taskDir)
	if err != nil {
		return fmt.Errorf("open task directory: %w", err)
	}
	defer root.Close()
	dest := filepath.Clean(a.DestinationOrDefault())
	if filepath.IsAbs(dest) || dest == ".." || strings.HasPrefix(dest, "../") {
		return fmt.Errorf("destination %q leaves the task directory", a.DestinationOrDefault())
	}
	mode := a.ModeOrDefault()
	dir := dest // where the temporary file goes
	if mode == structs.ArtifactModeFile {
		dir = filepath.Dir(dest)
	}
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create destination: %w", err)
	}
	tmpName := filepath.Join(dir, ".artifact-"+randHex()+".tmp")
	tmp, err := root.OpenFile(tmpName, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		tmp.Close()
		_ = root.Remove(tmpName) // gone already once renamed
	}()
	name, err := f.download(ctx, a, tmp)
	if err != nil {
		return err
	}
	archive := archiveKind(name)
	switch {
	case mode == structs.ArtifactModeFile:
		return renameInRoot(root, tmpName, dest)
	case archive != "" && a.Unpack():
		return unpackInto(root, tmp, archive, dir, f.maxSize)
	case mode == structs.ArtifactModeDir:
		return fmt.Errorf("mode \"dir\" needs an archive (.tar.gz, .tgz, .tar, .zip) with options archive = true, got %q", name)
	}
	if name == "" || name == "." || name == "/" {
		return fmt.Errorf("cannot name the file: the source has no file name; use mode = \"file\" with a destination file path")
	}
	return renameInRoot(root, tmpName, filepath.Join(dir, name))
}

func renameInRoot(root *os.Root, from, to string) error {
	if err := root.Rename(from, to); err != nil {
		return fmt.Errorf("place file: %w", err)
	}
	return nil
}

// download writes the source to w through the size limit and checks its
// checksum. It returns the source's file name, for archive detection.
func (f *artifactFetcher) download(ctx context.Context, a *structs.TaskArtifact, w *os.File) (string, error) {
	var h hash.Hash
	algo, want := "", ""
	if c := a.EffectiveChecksum(); c != "" {
		var err error
		if algo, want, err = structs.ParseArtifactChecksum(c); err != nil {
			return "", err
		}
		h = newHash(algo)
	}
	body, size, name, err := f.open(ctx, a)
	if err != nil {
		return "", err
	}
	defer body.Close()
	if size > f.maxSize {
		return "", f.tooLarge(size)
	}
	var dst io.Writer = w
	if h != nil {
		dst = io.MultiWriter(w, h)
	}
	n, err := io.Copy(dst, io.LimitReader(body, f.maxSize+1))
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	if n > f.maxSize {
		return "", f.tooLarge(-1)
	}
	if h != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return "", fmt.Errorf("checksum mismatch: want %s:%s, got %s:%s", algo, want, algo, got)
		}
	}
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("rewind download: %w", err)
	}
	return name, nil
}

func (f *artifactFetcher) tooLarge(size int64) error {
	limit := sizeLimitText(f.maxSize)
	if size > 0 {
		return fmt.Errorf("download is %d bytes, larger than %s", size, limit)
	}
	return fmt.Errorf("download is larger than %s", limit)
}

// open starts reading the source: an http(s) response body, or a local
// file the client allows. size is -1 when unknown.
func (f *artifactFetcher) open(ctx context.Context, a *structs.TaskArtifact) (body io.ReadCloser, size int64, name string, err error) {
	src := a.Source
	if filepath.IsAbs(src) || strings.HasPrefix(strings.ToLower(src), "file://") {
		return f.openLocal(src)
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, 0, "", fmt.Errorf("parse source: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, 0, "", fmt.Errorf("scheme %q is not supported: use http, https or file", u.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, 0, "", fmt.Errorf("build request: %w", err)
	}
	for k, v := range a.Headers {
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// The URL in a *url.Error may hold a secret query; say what failed.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, "", fmt.Errorf("download: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, 0, "", fmt.Errorf("download: server answered %s", resp.Status)
	}
	return resp.Body, resp.ContentLength, path.Base(u.Path), nil
}

// openLocal opens a file on the client, only under artifact_local_dirs: a
// job must not read the client's files (keys, other tasks' secrets) by
// default. Symlinks are resolved before the check.
func (f *artifactFetcher) openLocal(src string) (io.ReadCloser, int64, string, error) {
	p := src
	if strings.HasPrefix(strings.ToLower(src), "file://") {
		u, err := url.Parse(src)
		if err != nil {
			return nil, 0, "", fmt.Errorf("parse source: %w", err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, 0, "", fmt.Errorf("file URL host %q: only local files (file:///path) are supported", u.Host)
		}
		p = u.Path
	}
	if len(f.localDirs) == 0 {
		return nil, 0, "", errors.New("local sources are disabled on this client; the client setting artifact_local_dirs lists directories artifacts may be read from")
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, 0, "", fmt.Errorf("local source: %w", err)
	}
	if !underAny(real, f.localDirs) {
		return nil, 0, "", fmt.Errorf("local source %q is outside the client's artifact_local_dirs", p)
	}
	file, err := os.Open(real)
	if err != nil {
		return nil, 0, "", fmt.Errorf("local source: %w", err)
	}
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() {
		file.Close()
		return nil, 0, "", fmt.Errorf("local source %q is not a regular file", p)
	}
	return file, st.Size(), filepath.Base(p), nil
}

// underAny reports whether p is inside one of dirs (resolved themselves).
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		rd, err := filepath.EvalSymlinks(d)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(rd, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// sizeLimitText names the limit and the setting that raises it.
func sizeLimitText(max int64) string {
	if max%(1<<20) == 0 {
		return fmt.Sprintf("the client's limit of %d MiB (client setting artifact_max_size_mb)", max>>20)
	}
	return fmt.Sprintf("the client's limit of %d bytes (client setting artifact_max_size_mb)", max)
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha512":
		return sha512.New()
	}
	return sha256.New()
}

func randHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// displaySource names a source in events and logs without secrets: no
// password, no query (presigned URLs carry tokens there).
func displaySource(src string) string {
	u, err := url.Parse(src)
	if err != nil || u.Scheme == "" {
		return src
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment = ""
	return u.String()
}
