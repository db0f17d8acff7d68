package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// HostVolumeConfig is a client's `host_volume "name" { path read_only }`
// block: a directory of this host that jobs may mount by name.
type HostVolumeConfig struct {
	Name     string `hcl:"name,label"`
	Path     string `hcl:"path"`
	ReadOnly bool   `hcl:"read_only,optional"`
}

// hostVolumeProblems checks the client's host volumes. The directory must
// exist when the agent starts: a typo would otherwise only show when a
// task fails to mount it, on some node, much later.
func hostVolumeProblems(c *ClientConfig) []string {
	if c == nil || !c.Enabled && len(c.HostVolumes) == 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range c.HostVolumes {
		where := fmt.Sprintf("client host_volume %q", v.Name)
		switch {
		case v.Name == "":
			out = append(out, "client host_volume: the name (block label) must not be empty")
		case strings.ContainsAny(v.Name, "/\\\x00") || strings.TrimSpace(v.Name) != v.Name:
			out = append(out, where+": the name must not contain slashes, NUL or surrounding spaces")
		case seen[v.Name]:
			out = append(out, where+": defined more than once")
		}
		seen[v.Name] = true
		if !filepath.IsAbs(v.Path) {
			out = append(out, fmt.Sprintf("%s: path %q must be absolute", where, v.Path))
			continue
		}
		fi, err := os.Stat(v.Path)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("%s: path %q cannot be used: %v (create the directory before starting the agent)", where, v.Path, err))
		case !fi.IsDir():
			out = append(out, fmt.Sprintf("%s: path %q is not a directory", where, v.Path))
		}
	}
	return out
}

// hostVolumes is the client's host volumes by name, as the client and
// its node carry them.
func (c *ClientConfig) hostVolumes() map[string]*structs.ClientHostVolume {
	if len(c.HostVolumes) == 0 {
		return nil
	}
	out := make(map[string]*structs.ClientHostVolume, len(c.HostVolumes))
	for _, v := range c.HostVolumes {
		out[v.Name] = &structs.ClientHostVolume{Name: v.Name, Path: filepath.Clean(v.Path), ReadOnly: v.ReadOnly}
	}
	return out
}
