package structs

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Volume types a group may request. Only host volumes exist in appmesh;
// "csi" is Nomad's and is named as such in the error.
const (
	VolumeTypeHost = "host"
	VolumeTypeCSI  = "csi"
)

// ClientHostVolume is a directory of a client that its operator offers to
// jobs by name (agent config `client { host_volume "name" { ... } }`). The
// node advertises it, and the scheduler places a group that requests the
// volume only on nodes that have it.
type ClientHostVolume struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// VolumeRequest is a group's `volume "label"` block: which host volume the
// group's tasks may mount, under a label the tasks' volume_mount blocks use.
type VolumeRequest struct {
	Name     string `json:"name" hcl:",label"`
	Type     string `json:"type"`
	Source   string `json:"source"`
	ReadOnly bool   `json:"read_only,omitempty"`
	// PerAlloc makes each allocation use its own volume: the source is
	// suffixed with the allocation's index, "data[0]", "data[1]" ...
	PerAlloc bool `json:"per_alloc,omitempty"`
}

// SourceFor is the host volume name the allocation with the given index
// needs.
func (v *VolumeRequest) SourceFor(index int) string {
	if v.PerAlloc {
		return fmt.Sprintf("%s[%d]", v.Source, index)
	}
	return v.Source
}

// VolumeMount is a task's `volume_mount` block: where a group volume
// appears in the task's filesystem.
type VolumeMount struct {
	Volume      string `json:"volume"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only,omitempty"`
}

// EphemeralDisk is a group's `ephemeral_disk` block: the scratch space its
// allocation directory may use, and whether the `alloc/data` directory
// follows a replacement allocation.
type EphemeralDisk struct {
	// SizeMB is scheduled like CPU and memory against the node's free disk.
	SizeMB int `json:"size"`
	// Sticky prefers the previous allocation's node for a replacement and
	// moves that allocation's alloc/data directory into the new one.
	Sticky bool `json:"sticky,omitempty"`
	// Migrate asks for alloc/data and the tasks' local/ to be copied from
	// a previous allocation on another node, through the servers
	// (client/alloc_data.go, server/client_alloc_data.go).
	Migrate bool `json:"migrate,omitempty"`
}

// Copy returns a copy.
func (d *EphemeralDisk) Copy() *EphemeralDisk {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// Validate checks the block.
func (d *EphemeralDisk) Validate() error {
	if d == nil {
		return nil
	}
	v := &ValidationError{}
	if d.SizeMB < 0 {
		v.Add("", "size must not be negative (got %d)", d.SizeMB)
	}
	return v.ErrorOrNil()
}

// KeepsData reports whether a replacement should receive the previous
// allocation's alloc/data directory.
func (d *EphemeralDisk) KeepsData() bool { return d != nil && (d.Sticky || d.Migrate) }

// validateVolumes checks a group's volume blocks and every task's
// volume_mount blocks against them. Problems are relative to the group.
func validateVolumes(v *ValidationError, g *TaskGroup) {
	labels := map[string]*VolumeRequest{}
	for i, vol := range g.Volumes {
		where := fmt.Sprintf("volume %d", i+1)
		if vol == nil {
			v.Add(where, "is empty")
			continue
		}
		if vol.Name != "" {
			where = fmt.Sprintf("volume %q", vol.Name)
		}
		switch {
		case vol.Name == "":
			v.Add(where, "a label is required: volume \"<label>\" { ... }")
		case labels[vol.Name] != nil:
			v.Add(where, "defined more than once")
		}
		labels[vol.Name] = vol
		switch vol.Type {
		case VolumeTypeHost:
		case VolumeTypeCSI:
			v.Add(where, "type \"csi\" is a Nomad feature appmesh does not support: CSI volumes are not available; declare a host_volume in the client's agent configuration and use type = \"host\"")
		case "":
			v.Add(where, "type is required (\"host\")")
		default:
			v.Add(where, "type %q is unknown; the only volume type is \"host\"", vol.Type)
		}
		if vol.Source == "" {
			v.Add(where, "source is required: the name of a host_volume in the client's configuration")
		} else if strings.ContainsAny(vol.Source, "[]") {
			v.Add(where, "source %q must be a host volume name without brackets (per_alloc = true adds \"[<index>]\")", vol.Source)
		}
	}
	for _, t := range g.Tasks {
		if t == nil {
			continue
		}
		seen := map[string]bool{}
		for i, m := range t.VolumeMounts {
			where := fmt.Sprintf("task %q: volume_mount %d", t.Name, i+1)
			if m == nil {
				v.Add(where, "is empty")
				continue
			}
			if m.Volume == "" {
				v.Add(where, "volume is required: the label of a volume block of the group")
			} else if labels[m.Volume] == nil {
				v.Add(where, "volume %q is not defined in the group; %s", m.Volume, volumeLabelsHint(labels))
			}
			dest := m.Destination
			switch {
			case dest == "":
				v.Add(where, "destination is required")
			case strings.Contains(dest, "\x00"):
				v.Add(where, "destination %q must not contain a NUL byte", dest)
			case !filepath.IsAbs(dest):
				v.Add(where, "destination %q must be an absolute path (where the volume appears in the task, e.g. \"/data\")", dest)
			case hasDotDot(dest):
				v.Add(where, "destination %q must not contain \"..\"", dest)
			case filepath.Clean(dest) == "/":
				v.Add(where, "destination \"/\" would hide the task's whole filesystem")
			case taskDirMounts[filepath.Clean(dest)]:
				v.Add(where, "destination %q is where the task's own %s directory is mounted; pick another path", dest, strings.TrimPrefix(filepath.Clean(dest), "/"))
			}
			if seen[filepath.Clean(dest)] && dest != "" {
				v.Add(where, "destination %q is mounted twice", dest)
			}
			seen[filepath.Clean(dest)] = true
		}
	}
}

// taskDirMounts are the paths where isolating drivers (exec, docker) show
// the task's local/, secrets/ and alloc/ directories: a volume there would
// collide with them when the task starts.
var taskDirMounts = map[string]bool{"/local": true, "/secrets": true, "/alloc": true}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func volumeLabelsHint(labels map[string]*VolumeRequest) string {
	if len(labels) == 0 {
		return "the group has no volume blocks (volume \"<label>\" { type = \"host\"  source = \"<host volume>\" })"
	}
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, fmt.Sprintf("%q", n))
	}
	sort.Strings(names)
	return "the group defines " + strings.Join(names, ", ")
}

// copyVolumes deep-copies a group's volume requests.
func copyVolumes(in []*VolumeRequest) []*VolumeRequest {
	if in == nil {
		return nil
	}
	out := make([]*VolumeRequest, len(in))
	for i, v := range in {
		if v != nil {
			c := *v
			out[i] = &c
		}
	}
	return out
}

// copyVolumeMounts deep-copies a task's volume mounts.
func copyVolumeMounts(in []*VolumeMount) []*VolumeMount {
	if in == nil {
		return nil
	}
	out := make([]*VolumeMount, len(in))
	for i, m := range in {
		if m != nil {
			c := *m
			out[i] = &c
		}
	}
	return out
}

// LookupVolume returns the group's volume with the given label, or nil.
func (g *TaskGroup) LookupVolume(label string) *VolumeRequest {
	for _, v := range g.Volumes {
		if v != nil && v.Name == label {
			return v
		}
	}
	return nil
}

// MissingHostVolumeReason is the placement failure reason of a node that
// lacks a host volume the group requests.
func MissingHostVolumeReason(name string) string {
	return fmt.Sprintf("missing host volume %q", name)
}
