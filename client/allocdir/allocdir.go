// Package allocdir owns the on-disk layout of an allocation:
//
//	<data dir>/alloc/<alloc id>/            the allocation directory
//	<data dir>/alloc/<alloc id>/alloc/      shared by all tasks of the group
//	<data dir>/alloc/<alloc id>/alloc/logs/ captured task output
//	<data dir>/alloc/<alloc id>/<task>/     each task's working directory
//
// Every part of the client that needs one of these paths asks this package,
// so the layout is written down in exactly one place.
package allocdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Log types a task writes.
const (
	LogStdout = "stdout"
	LogStderr = "stderr"
)

// AllocDir is the directory tree of one allocation.
type AllocDir struct {
	// Dir is <data dir>/alloc/<alloc id>.
	Dir string
	// SharedDir is Dir/alloc, visible to every task of the group.
	SharedDir string
	// LogDir is SharedDir/logs.
	LogDir string
}

// AllocsRoot is the directory holding every allocation directory.
func AllocsRoot(dataDir string) string { return filepath.Join(dataDir, "alloc") }

// New describes the directory of allocID under dataDir without touching the
// disk. allocID and task names become path elements, so they are checked.
func New(dataDir, allocID string) (*AllocDir, error) {
	if err := CheckPathElem(allocID); err != nil {
		return nil, fmt.Errorf("allocation id: %w", err)
	}
	dir := filepath.Join(AllocsRoot(dataDir), allocID)
	shared := filepath.Join(dir, "alloc")
	return &AllocDir{Dir: dir, SharedDir: shared, LogDir: filepath.Join(shared, "logs")}, nil
}

// Build creates the allocation directory, the shared dir, the log dir and
// alloc/data (the directory ephemeral_disk sticky hands to a replacement).
func (d *AllocDir) Build() error {
	if err := os.MkdirAll(d.LogDir, 0o755); err != nil {
		return fmt.Errorf("create allocation directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(d.SharedDir, "data"), 0o755); err != nil {
		return fmt.Errorf("create allocation directory: %w", err)
	}
	return nil
}

// TaskDir is the working directory of a task.
func (d *AllocDir) TaskDir(task string) string { return filepath.Join(d.Dir, task) }

// BuildTaskDir creates the task's working directory.
func (d *AllocDir) BuildTaskDir(task string) (string, error) {
	if err := CheckPathElem(task); err != nil {
		return "", fmt.Errorf("task name: %w", err)
	}
	dir := d.TaskDir(task)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create task directory: %w", err)
	}
	return dir, nil
}

// LogPath is the file a task's stdout or stderr goes to. The ".0" suffix
// leaves room for rotation (a later issue) without renaming existing files.
func (d *AllocDir) LogPath(task, logType string) string {
	return filepath.Join(d.LogDir, fmt.Sprintf("%s.%s.0", task, logType))
}

// CheckPathElem rejects names that would escape their directory when used
// as a single path element.
func CheckPathElem(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case name == "." || name == "..":
		return fmt.Errorf("%q is not allowed", name)
	case strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0):
		return fmt.Errorf("%q must not contain path separators", name)
	}
	return nil
}
