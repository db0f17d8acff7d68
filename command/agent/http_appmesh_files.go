package agent

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/appmesh/appmesh/structs"
)

// amMaxUpload bounds one uploaded file.
const amMaxUpload = 1 << 30

// App Mesh's file download and upload, confined to one base directory
// (appmesh_api { file_base_dir }). Every path is opened through an
// os.Root of that directory, which refuses `..` past it and symlinks that
// lead out of it, whatever the path looks like; the checks before it only
// give clearer answers. Download needs agent:read, upload agent:write
// (App Mesh's file-download and file-upload).
func (s *HTTPServer) registerAppMeshFileRoutes() {
	s.route("/appmesh/file/download", map[string]door{http.MethodGet: agentAccess("read", s.amErrors(s.amFileDownload))})
	s.route("/appmesh/file/upload", map[string]door{http.MethodPost: agentAccess("write", s.amErrors(s.amFileUpload))})
}

// errEscape answers a path that leads out of the base directory.
func errEscape(p string) error {
	return &httpError{code: http.StatusForbidden,
		msg: fmt.Sprintf("refused: X-File-Path %q leads outside the allowed base directory (appmesh_api { file_base_dir })", p)}
}

// amFilePath reads X-File-Path (URL-escaped, as App Mesh's SDKs send it)
// and returns it relative to the base directory. An absolute path must lie
// in the base directory; `..` is refused anywhere.
func (s *HTTPServer) amFilePath(r *http.Request) (string, error) {
	if s.amFileBase == "" {
		return "", &httpError{code: http.StatusPreconditionFailed,
			msg: "this agent has no file directory: set appmesh_api { file_base_dir } or data_dir"}
	}
	raw := r.Header.Get("X-File-Path")
	if raw == "" {
		return "", badRequest("X-File-Path: the file's path is required")
	}
	p, err := url.PathUnescape(raw)
	if err != nil {
		return "", badRequest("X-File-Path %q: bad URL escape: %v", raw, err)
	}
	if strings.ContainsRune(p, 0) {
		return "", badRequest("X-File-Path: NUL byte in the path")
	}
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if part == ".." {
			return "", errEscape(p)
		}
	}
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(s.amFileBase, filepath.Clean(p))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return "", errEscape(p)
		}
		p = rel
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == "." || p == "/" {
		return "", badRequest("X-File-Path %q names the base directory, not a file", raw)
	}
	return strings.TrimPrefix(p, "/"), nil
}

// amRootErr maps an os.Root error to an answer.
func amRootErr(p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return notFound("file %q not found", p)
	case strings.Contains(err.Error(), "escapes from parent") || errors.Is(err, syscall.ELOOP):
		return errEscape(p)
	case errors.Is(err, fs.ErrPermission):
		return &httpError{code: http.StatusForbidden, msg: fmt.Sprintf("file %q: %v", p, err)}
	}
	return fmt.Errorf("file %q: %w", p, err)
}

func (s *HTTPServer) amOpenRoot() (*os.Root, error) {
	if err := os.MkdirAll(s.amFileBase, 0o700); err != nil {
		return nil, fmt.Errorf("create the file base directory: %w", err)
	}
	root, err := os.OpenRoot(s.amFileBase)
	if err != nil {
		return nil, fmt.Errorf("open the file base directory: %w", err)
	}
	return root, nil
}

// GET /appmesh/file/download with X-File-Path: the file's bytes, with
// App Mesh's X-File-Mode (permission bits, decimal), X-File-User and
// X-File-Group (the owner's uid and gid).
func (s *HTTPServer) amFileDownload(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.amFilePath(r)
	if err != nil {
		return nil, err
	}
	root, err := s.amOpenRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	// O_NONBLOCK: a FIFO put in the directory must not hang the request;
	// it is refused below as not a regular file.
	f, err := root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, amRootErr(p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, amRootErr(p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, badRequest("X-File-Path %q is not a regular file", p)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	h.Set("X-File-Mode", strconv.Itoa(int(fi.Mode().Perm())))
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		// Numbers, as App Mesh answers them: its SDKs chown the local copy
		// with int() of each (a name would fail the whole download).
		h.Set("X-File-User", strconv.FormatUint(uint64(st.Uid), 10))
		h.Set("X-File-Group", strconv.FormatUint(uint64(st.Gid), 10))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.logger.Warn("file download cut short", "path", p, "error", err)
	}
	return nil, nil
}

// POST /appmesh/file/upload with X-File-Path and App Mesh's multipart body
// (a filename field, a file part): the file is written beside its place
// and renamed into it, so a reader never sees half a file. X-File-Mode sets
// its permission bits (default 0644). X-File-User and X-File-Group are
// applied when the agent may (it runs as root); otherwise the answer's
// message says they were not.
func (s *HTTPServer) amFileUpload(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.amFilePath(r)
	if err != nil {
		return nil, err
	}
	mode := os.FileMode(0o644)
	if v := r.Header.Get("X-File-Mode"); v != "" {
		m, err := strconv.ParseUint(v, 10, 32)
		if err != nil || m > 0o777 {
			return nil, badRequest("X-File-Mode %q: permission bits as a decimal number (0 to 511)", v)
		}
		mode = os.FileMode(m)
	}
	r.Body = http.MaxBytesReader(w, r.Body, amMaxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("upload: a multipart/form-data body with a \"file\" part is required: %v", err)
	}
	root, err := s.amOpenRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if dir := path.Dir(p); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return nil, amRootErr(p, err)
		}
	}
	written := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badRequest("upload: bad multipart body: %v", err)
		}
		if part.FormName() != "file" {
			continue // "filename" repeats X-File-Path's last element
		}
		if err := amWriteFile(root, p, part, mode); err != nil {
			return nil, err
		}
		written = true
	}
	if !written {
		return nil, badRequest("upload: the multipart body has no \"file\" part")
	}
	msg := "file " + p + " uploaded"
	if note := amChown(root, p, r.Header.Get("X-File-User"), r.Header.Get("X-File-Group")); note != "" {
		msg += "; " + note
	}
	return map[string]string{"message": msg}, nil
}

// amWriteFile writes src to p in root through a temporary file.
func amWriteFile(root *os.Root, p string, src io.Reader, mode os.FileMode) error {
	tmp := p + ".upload-" + structs.GenerateID()[:8]
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return amRootErr(p, err)
	}
	_, cerr := io.Copy(f, src)
	if err := f.Close(); cerr == nil {
		cerr = err
	}
	if cerr == nil {
		cerr = root.Chmod(tmp, mode)
	}
	if cerr == nil {
		cerr = root.Rename(tmp, p)
	}
	if cerr != nil {
		_ = root.Remove(tmp)
		var tooBig *http.MaxBytesError
		if errors.As(cerr, &tooBig) {
			return &httpError{code: http.StatusRequestEntityTooLarge, msg: "upload too large: limit is 1 GiB"}
		}
		return amRootErr(p, cerr)
	}
	return nil
}

// amChown gives p the owner App Mesh's SDK asked for when the agent can;
// it answers what it did not do ("" when nothing was asked or all done).
func amChown(root *os.Root, p, owner, group string) string {
	if owner == "" && group == "" {
		return ""
	}
	uid, gid := -1, -1
	if owner != "" {
		if u, err := user.Lookup(owner); err == nil {
			uid, _ = strconv.Atoi(u.Uid)
		} else if n, err := strconv.Atoi(owner); err == nil {
			uid = n
		} else {
			return fmt.Sprintf("owner not changed: no user %q on this host", owner)
		}
	}
	if group != "" {
		if g, err := user.LookupGroup(group); err == nil {
			gid, _ = strconv.Atoi(g.Gid)
		} else if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else {
			return fmt.Sprintf("owner not changed: no group %q on this host", group)
		}
	}
	if err := root.Lchown(p, uid, gid); err != nil {
		return fmt.Sprintf("owner not changed (%v): only an agent running as root can give files away", err)
	}
	return ""
}
