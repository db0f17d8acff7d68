package docker

import (
	"fmt"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// checkAllowed refuses what lets a container reach the host unless the
// client's operator allowed it: host bind mounts (docker_volumes_enabled)
// and privileged containers (docker_privileged_enabled). The client checks
// the same before it asks the driver; this is the driver keeping its own
// promise whoever calls it.
func checkAllowed(cfg *drivers.TaskConfig, tc *taskConfig) error {
	if tc.Privileged && !cfg.PrivilegedAllowed {
		return fmt.Errorf("config: privileged containers are disabled on this client (set docker_privileged_enabled = true in the agent's client block to allow them)")
	}
	if !cfg.HostVolumesAllowed {
		if host := structs.DockerHostPaths(tc.Volumes); len(host) > 0 {
			return fmt.Errorf("config: volume %q bind-mounts a host path, and host bind mounts are disabled on this client (set docker_volumes_enabled = true in the agent's client block to allow them; named volumes are always allowed)", host[0])
		}
	}
	return nil
}
