package docker

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/appmesh/appmesh/drivers/shared/cpuset"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

// coresMu serializes choosing cores and creating the container that holds
// them, so two tasks of this plugin starting at once cannot pick the same.
var coresMu sync.Mutex

// pinCores gives a task that reserves `cores` that many whole cores of its
// own as the container's cpuset (HostConfig.CpusetCpus), like the exec
// driver's cpuset.cpus. The scheduler has counted them free on this node;
// which ones are free is read from what holds cores now: appmesh containers
// on the engine and exec tasks' cgroups. The returned unlock must be called
// once the container exists (or its creation failed).
func pinCores(c *client.Client, cfg *drivers.TaskConfig, hc *container.HostConfig) (unlock func(), err error) {
	if cfg.Resources == nil || cfg.Resources.Cores <= 0 {
		return func() {}, nil
	}
	n := cfg.Resources.Cores
	coresMu.Lock()
	online, err := readCPUList("/sys/devices/system/cpu/online")
	if err != nil {
		coresMu.Unlock()
		return nil, fmt.Errorf("cores: reading online cpus: %w", err)
	}
	used, err := pinnedCores(c, ContainerName(cfg))
	if err != nil {
		coresMu.Unlock()
		return nil, fmt.Errorf("cores: %w", err)
	}
	var picked []string
	for _, cpu := range online {
		if !used[cpu] && len(picked) < n {
			picked = append(picked, strconv.Itoa(cpu))
		}
	}
	if len(picked) < n {
		coresMu.Unlock()
		return nil, fmt.Errorf("cores: %d requested, %d of %d free", n, len(picked), len(online))
	}
	hc.CpusetCpus = strings.Join(picked, ",")
	return coresMu.Unlock, nil
}

// pinnedCores are the cores held by live appmesh containers (but self, a
// leftover about to be replaced) and by exec tasks' cgroups.
func pinnedCores(c *client.Client, self string) (map[int]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", "appmesh.alloc_id")})
	if err != nil {
		return nil, fmt.Errorf("listing appmesh containers: %w", err)
	}
	used := map[int]bool{}
	for _, s := range list.Items {
		if s.State == container.StateExited || s.State == container.StateDead || slices.Contains(s.Names, "/"+self) {
			continue
		}
		in, err := c.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if err != nil || in.Container.HostConfig == nil || in.Container.HostConfig.CpusetCpus == "" {
			continue // gone meanwhile, or not pinned
		}
		cpus, _ := cpuset.Parse(in.Container.HostConfig.CpusetCpus)
		for _, cpu := range cpus {
			used[cpu] = true
		}
	}
	// exec tasks: appmesh/<task>/cpuset.cpus on cgroup v1 and v2; only
	// cgroups holding processes with a cpuset narrower than the parent's
	// count (v1 gives every task cgroup a copy of the parent's).
	for _, parent := range []string{"/sys/fs/cgroup/cpuset/appmesh", "/sys/fs/cgroup/appmesh"} {
		maps.Copy(used, cpuset.Pinned(parent))
	}
	return used, nil
}

func readCPUList(path string) ([]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return cpuset.Parse(string(data))
}
