package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/appmesh/appmesh/drivers"
)

// linkMounts gives a task without a filesystem of its own (raw_exec, or
// exec with isolation = "none") its host volumes: the task runs on the
// host's filesystem, so the host directory itself is the volume. A symlink
// at <task dir>/<destination> points to it, and APPMESH_VOLUME_<LABEL>
// holds the host path. Nothing enforces read_only here: the task can reach
// every path its user can, which is what raw_exec means.
func linkMounts(cfg *drivers.TaskConfig, spec *launchSpec) error {
	for _, m := range cfg.Mounts {
		if cfg.TaskDir == "" {
			break
		}
		rel := strings.TrimLeft(filepath.Clean("/"+m.TaskPath), "/")
		if rel == "" {
			return fmt.Errorf("volume %q: destination %q must be a path below /", m.Volume, m.TaskPath)
		}
		link := filepath.Join(cfg.TaskDir, rel)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return fmt.Errorf("volume %q: %w", m.Volume, err)
		}
		if old, err := os.Readlink(link); err == nil && old == m.HostPath {
			// A restart of the task finds its link in place.
		} else if err := os.Symlink(m.HostPath, link); err != nil {
			return fmt.Errorf("volume %q: linking %s into the task dir: %w", m.Volume, m.HostPath, err)
		}
		spec.env = setEnv(spec.env, drivers.VolumeEnvName(m.Volume), m.HostPath)
	}
	return nil
}

// setEnv replaces name's entry in env, or appends one.
func setEnv(env []string, name, value string) []string {
	prefix := name + "="
	for i, kv := range env {
		if strings.HasPrefix(kv, prefix) {
			env[i] = prefix + value
			return env
		}
	}
	return append(env, prefix+value)
}
