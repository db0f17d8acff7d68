package allocdir

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The data an ephemeral_disk { migrate = true } replacement takes over
// from its previous allocation on another node travels as a tar stream
// with two kinds of entries:
//
//	alloc/data/...   the shared data directory
//	<task>/local/... each task's local directory
//
// Only directories and regular files travel: links and devices are
// skipped on both ends, so an entry can never point outside the tree.
const (
	dataPrefix = "alloc/data"
	localDir   = "local"
)

// ErrDataTooLarge is returned when the data exceeds the bound.
var ErrDataTooLarge = errors.New("the previous allocation's data exceeds the size bound")

// WriteData writes the allocation's migratable data to w as a tar stream
// of at most limit bytes of file content; more is an error (ErrDataTooLarge).
func (d *AllocDir) WriteData(w io.Writer, limit int64) (int64, error) {
	tw := tar.NewWriter(w)
	var total int64
	add := func(root, prefix string) error {
		return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == root {
					return nil // nothing written there
				}
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			name := path.Join(prefix, filepath.ToSlash(rel))
			info, err := e.Info()
			if err != nil {
				return err
			}
			switch {
			case info.IsDir():
				return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()})
			case info.Mode().IsRegular():
				if total += info.Size(); total > limit {
					return ErrDataTooLarge
				}
				return writeFile(tw, p, name, info)
			}
			return nil // links, sockets, devices stay behind
		})
	}
	if err := add(filepath.Join(d.SharedDir, "data"), dataPrefix); err != nil {
		return total, fmt.Errorf("pack alloc/data: %w", err)
	}
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return total, fmt.Errorf("list task directories: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "alloc" {
			continue
		}
		if err := add(filepath.Join(d.Dir, e.Name(), localDir), path.Join(e.Name(), localDir)); err != nil {
			return total, fmt.Errorf("pack %s/local: %w", e.Name(), err)
		}
	}
	return total, tw.Close()
}

func writeFile(tw *tar.Writer, p, name string, info fs.FileInfo) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(info.Mode().Perm()), Size: info.Size(), ModTime: info.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// A file that grew since the walk is cut at the size in its header.
	_, err = io.CopyN(tw, f, info.Size())
	return err
}

// ExtractData unpacks a WriteData stream into this allocation: alloc/data
// and the local/ directories of the named tasks (entries of other tasks
// are skipped). At most limit bytes of file content are written.
func (d *AllocDir) ExtractData(r io.Reader, tasks []string, limit int64) (int64, error) {
	known := map[string]bool{}
	for _, t := range tasks {
		known[t] = true
	}
	tr := tar.NewReader(r)
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("read the data stream: %w", err)
		}
		dst, ok := d.dataTarget(hdr.Name, known)
		if !ok {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return total, err
			}
		case tar.TypeReg:
			if total += hdr.Size; total > limit {
				return total, ErrDataTooLarge
			}
			if err := extractFile(tr, dst, hdr); err != nil {
				return total, err
			}
		}
	}
}

// dataTarget maps a stream entry to its path here, refusing names that
// are not alloc/data/... or <known task>/local/..., or that climb out.
func (d *AllocDir) dataTarget(name string, tasks map[string]bool) (string, bool) {
	clean := path.Clean("/" + name)[1:]
	if clean == "" || clean != strings.TrimSuffix(name, "/") {
		return "", false // "..", doubled or absolute elements: refused
	}
	if clean == dataPrefix || strings.HasPrefix(clean, dataPrefix+"/") {
		return filepath.Join(d.Dir, filepath.FromSlash(clean)), true
	}
	task, rest, _ := strings.Cut(clean, "/")
	if !tasks[task] || CheckPathElem(task) != nil || (rest != localDir && !strings.HasPrefix(rest, localDir+"/")) {
		return "", false
	}
	return filepath.Join(d.Dir, task, filepath.FromSlash(rest)), true
}

func extractFile(r io.Reader, dst string, hdr *tar.Header) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fs.FileMode(hdr.Mode).Perm())
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, hdr.Size); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return f.Close()
}
