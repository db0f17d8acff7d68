package taskrunner

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// archiveKind tells an archive by its name: "tar.gz", "tar", "zip" or "".
func archiveKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".tgz"):
		return "tar.gz"
	case strings.HasSuffix(n, ".tar"):
		return "tar"
	case strings.HasSuffix(n, ".zip"):
		return "zip"
	}
	return ""
}

// unpackInto unpacks the archive in f into dir (relative to root): first
// into a temporary directory beside it, then moved in entry by entry, so
// a bad archive leaves dir as it was.
func unpackInto(root *os.Root, f *os.File, kind, dir string, maxSize int64) error {
	tmpDir := filepath.Join(dir, ".artifact-"+randHex()+".d")
	if err := root.Mkdir(tmpDir, 0o755); err != nil {
		return fmt.Errorf("create unpack directory: %w", err)
	}
	defer func() { _ = root.RemoveAll(tmpDir) }()
	sub, err := root.OpenRoot(tmpDir)
	if err != nil {
		return fmt.Errorf("open unpack directory: %w", err)
	}
	defer sub.Close()
	u := &unpacker{root: sub, left: maxSize, maxSize: maxSize}
	switch kind {
	case "zip":
		err = u.zip(f)
	case "tar.gz":
		gz, gerr := gzip.NewReader(f)
		if gerr != nil {
			return fmt.Errorf("unpack: %w", gerr)
		}
		err = u.tar(gz)
	default:
		err = u.tar(f)
	}
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	return mergeDir(root, tmpDir, dir)
}

// unpacker writes archive entries under its root, counting bytes.
type unpacker struct {
	root    *os.Root
	left    int64
	maxSize int64
}

// entryPath checks an archive entry's name: relative, and not leaving the
// unpack directory. os.Root would refuse an escape too; this gives the
// clearer message.
func entryPath(name string) (string, error) {
	clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("archive entry %q leaves the destination directory", name)
	}
	return clean, nil
}

func (u *unpacker) tar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := entryPath(hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = u.mkdir(p)
		case tar.TypeReg:
			err = u.file(p, hdr.FileInfo().Mode(), tr)
		case tar.TypeXGlobalHeader:
		default:
			// Links could point a later entry, or the task, outside.
			return fmt.Errorf("archive entry %q is a link or special file, which artifacts may not hold", hdr.Name)
		}
		if err != nil {
			return err
		}
	}
}

func (u *unpacker) zip(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		p, err := entryPath(zf.Name)
		if err != nil {
			return err
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			err = u.mkdir(p)
		case mode.IsRegular():
			err = u.zipFile(p, zf)
		default:
			return fmt.Errorf("archive entry %q is a link or special file, which artifacts may not hold", zf.Name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) zipFile(p string, zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return u.file(p, zf.Mode(), rc)
}

func (u *unpacker) mkdir(p string) error {
	if p == "." {
		return nil
	}
	return u.root.MkdirAll(p, 0o755)
}

// file writes one entry, keeping only its permission bits (no setuid).
func (u *unpacker) file(p string, mode fs.FileMode, r io.Reader) error {
	if dir := path.Dir(p); dir != "." {
		if err := u.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	out, err := u.root.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode.Perm()|0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(r, u.left+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	u.left -= n
	if u.left < 0 {
		return fmt.Errorf("unpacked size is larger than %s", sizeLimitText(u.maxSize))
	}
	return nil
}

// mergeDir moves everything under from into to, replacing files of the
// same name (a restarted task fetches its artifacts again).
func mergeDir(root *os.Root, from, to string) error {
	sub, err := root.OpenRoot(from)
	if err != nil {
		return err
	}
	defer sub.Close()
	return fs.WalkDir(sub.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		target := filepath.Join(to, p)
		if d.IsDir() {
			if err := root.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("place directory %s: %w", p, err)
			}
			return nil
		}
		if err := root.Rename(filepath.Join(from, p), target); err != nil {
			return fmt.Errorf("place file %s: %w", p, err)
		}
		return nil
	})
}
