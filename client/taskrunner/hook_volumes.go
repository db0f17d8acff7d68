package taskrunner

import (
	"context"
	"fmt"
	"os"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// volumesHook resolves the task's volume_mount blocks against the group's
// volume requests and the client's host volumes, and hands the driver the
// host directories to mount. The scheduler placed the allocation where the
// volumes exist, so a failure here means the client's configuration changed
// since (or the directory was removed): a Setup Failure that says which.
type volumesHook struct {
	mounts  []*structs.VolumeMount
	volumes []*structs.VolumeRequest
	host    map[string]*structs.ClientHostVolume
	index   int // the allocation's index, for per_alloc sources
}

func (h *volumesHook) Name() string { return "volumes" }

func volumesHookFor(tr *TaskRunner, cfg *Config) hook {
	if len(cfg.Task.VolumeMounts) == 0 {
		return nil
	}
	return &volumesHook{mounts: cfg.Task.VolumeMounts, volumes: cfg.Volumes, host: cfg.HostVolumes, index: tr.alloc.Index()}
}

func (h *volumesHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	mounts, err := ResolveMounts(h.mounts, h.volumes, h.host, h.index)
	if err != nil {
		return err
	}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	for _, m := range mounts {
		if _, set := cfg.Env[drivers.VolumeEnvName(m.Volume)]; !set {
			cfg.Env[drivers.VolumeEnvName(m.Volume)] = m.TaskPath
		}
	}
	cfg.Mounts = mounts
	return nil
}

// ResolveMounts turns volume_mount blocks into host directories. A mount is
// read-only when the mount, the group's volume or the host volume says so.
func ResolveMounts(mounts []*structs.VolumeMount, volumes []*structs.VolumeRequest,
	host map[string]*structs.ClientHostVolume, index int) ([]*drivers.MountConfig, error) {
	out := make([]*drivers.MountConfig, 0, len(mounts))
	for _, m := range mounts {
		var vol *structs.VolumeRequest
		for _, v := range volumes {
			if v != nil && v.Name == m.Volume {
				vol = v
			}
		}
		if vol == nil {
			return nil, fmt.Errorf("volume_mount: the group has no volume %q", m.Volume)
		}
		src := vol.SourceFor(index)
		hv := host[src]
		if hv == nil {
			return nil, fmt.Errorf("volume %q: this client has no host volume %q (host_volume blocks in the client's configuration)", m.Volume, src)
		}
		fi, err := os.Stat(hv.Path)
		if err != nil {
			return nil, fmt.Errorf("volume %q: host volume %q: %w", m.Volume, src, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("volume %q: host volume %q: %s is not a directory", m.Volume, src, hv.Path)
		}
		out = append(out, &drivers.MountConfig{
			Volume: m.Volume, HostPath: hv.Path, TaskPath: m.Destination,
			ReadOnly: m.ReadOnly || vol.ReadOnly || hv.ReadOnly,
		})
	}
	return out, nil
}
