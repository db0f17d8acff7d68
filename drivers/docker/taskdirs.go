package docker

import (
	"os"
	"path/filepath"

	"github.com/moby/moby/api/types/mount"

	"github.com/appmesh/appmesh/drivers"
)

// Where a container sees the task's directories: what the client's hooks
// write (templates and artifacts under local/, identity tokens under
// secrets/) and the allocation's shared alloc/ directory.
const (
	containerLocalDir   = "/local"
	containerSecretsDir = "/secrets"
	containerAllocDir   = "/alloc"
)

// taskDirMounts binds the task's local/ and secrets/ and the allocation's
// alloc/ into the container, those that exist on the host. Without them a
// docker task could not see a single file the client prepared for it.
func taskDirMounts(cfg *drivers.TaskConfig) []mount.Mount {
	var out []mount.Mount
	add := func(host, target string) {
		if host == "" {
			return
		}
		if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
			return
		}
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: host, Target: target})
	}
	if cfg.TaskDir != "" {
		add(filepath.Join(cfg.TaskDir, "local"), containerLocalDir)
		add(filepath.Join(cfg.TaskDir, "secrets"), containerSecretsDir)
	}
	if cfg.AllocDir != "" {
		add(filepath.Join(cfg.AllocDir, "alloc"), containerAllocDir)
	}
	return out
}

// containerDirEnv is APPMESH_TASK_DIR and APPMESH_ALLOC_DIR as the
// container sees them: both "/", so that $APPMESH_TASK_DIR/local and
// $APPMESH_ALLOC_DIR/alloc name the mounts above, as they name the host
// directories for the other drivers.
func containerDirEnv(env map[string]string, mounts []mount.Mount) map[string]string {
	if len(mounts) == 0 {
		return env
	}
	out := make(map[string]string, len(env)+2)
	for k, v := range env {
		out[k] = v
	}
	out["APPMESH_TASK_DIR"] = "/"
	out["APPMESH_ALLOC_DIR"] = "/"
	return out
}
