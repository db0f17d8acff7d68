package docker

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// createOptions turns a task into the container to create.
func createOptions(cfg *drivers.TaskConfig, tc *taskConfig) (client.ContainerCreateOptions, error) {
	dirs := taskDirMounts(cfg)
	cc := &container.Config{
		Image:  tc.Image,
		Env:    envList(containerDirEnv(cfg.Env, dirs), tc.Env),
		Labels: labels(cfg, tc.Labels),
	}
	if cfg.User != "" {
		cc.User = cfg.User
	}
	if tc.Command != "" {
		cc.Cmd = append([]string{tc.Command}, tc.Args...)
	} else if len(tc.Args) > 0 {
		cc.Cmd = tc.Args
	}
	if len(tc.Entrypoint) > 0 {
		cc.Entrypoint = tc.Entrypoint
	}
	if err := checkAllowed(cfg, tc); err != nil {
		return client.ContainerCreateOptions{}, err
	}
	hc := &container.HostConfig{
		Binds:      tc.Volumes,
		Privileged: tc.Privileged,
		Resources:  resources(cfg),
		// Docker keeps its own copy of the output too; keep it small.
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "1"}},
		Mounts:    append(dirs, hostVolumeMounts(cfg.Mounts)...),
	}
	if err := checkVolumes(tc.Volumes); err != nil {
		return client.ContainerCreateOptions{}, err
	}
	if cfg.NetNSPath != "" {
		// Network mode "bridge": the allocation's namespace is its pause
		// container's, and the client maps the group's ports to it.
		if len(tc.Ports) > 0 {
			return client.ContainerCreateOptions{}, fmt.Errorf("config: ports: in network mode \"bridge\" the group's network block maps the ports; remove config.ports")
		}
		hc.NetworkMode = container.NetworkMode("container:" + PauseContainerName(cfg.AllocID))
		return client.ContainerCreateOptions{Config: cc, HostConfig: hc, Name: ContainerName(cfg)}, nil
	}
	exposed, bindings, err := portBindings(cfg.Ports, cfg.PortsTo, tc)
	if err != nil {
		return client.ContainerCreateOptions{}, err
	}
	cc.ExposedPorts, hc.PortBindings = exposed, bindings
	return client.ContainerCreateOptions{Config: cc, HostConfig: hc, Name: ContainerName(cfg)}, nil
}

// envList merges the task env and config.env (which wins), sorted.
func envList(taskEnv, cfgEnv map[string]string) []string {
	m := make(map[string]string, len(taskEnv)+len(cfgEnv))
	for k, v := range taskEnv {
		m[k] = v
	}
	for k, v := range cfgEnv {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func labels(cfg *drivers.TaskConfig, user map[string]string) map[string]string {
	l := map[string]string{"appmesh.alloc_id": cfg.AllocID, "appmesh.task": cfg.TaskName, "appmesh.job_id": cfg.JobID}
	for k, v := range user {
		l[k] = v
	}
	return l
}

// resources: memory is the hard limit unless memory_max is set (then
// memory is the reservation; memory_max = -1: no hard limit); no swap beyond it; cpu MHz become shares.
// Reserved `cores` become CpusetCpus in pinCores, which must see the
// engine's other containers.
func resources(cfg *drivers.TaskConfig) container.Resources {
	var r container.Resources
	res := cfg.Resources
	if res == nil {
		return r
	}
	const mb = 1 << 20
	r.Memory = int64(res.MemoryMB) * mb
	switch {
	case res.MemoryMaxMB > 0:
		r.Memory, r.MemoryReservation = int64(res.MemoryMaxMB)*mb, int64(res.MemoryMB)*mb
	case res.MemoryMaxMB == structs.MemoryMaxUnlimited:
		r.Memory, r.MemoryReservation = 0, int64(res.MemoryMB)*mb // no hard limit
	}
	r.MemorySwap = r.Memory
	if res.CPU > 0 {
		r.CPUShares = int64(max(res.CPU, 2))
	}
	return r
}

func checkVolumes(vols []string) error {
	for _, v := range vols {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" ||
			(len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw") {
			return fmt.Errorf("config: volume %q must be host:container[:ro]", v)
		}
	}
	return nil
}

// portBindings maps each label in `ports` to the allocation's host port;
// the container port is the network block's `to` for the label, else the
// same number, unless port_map says otherwise.
func portBindings(alloc, to map[string]int, tc *taskConfig) (network.PortSet, network.PortMap, error) {
	if len(tc.Ports) == 0 {
		return nil, nil, nil
	}
	exposed, bindings := network.PortSet{}, network.PortMap{}
	for _, label := range tc.Ports {
		host, ok := alloc[label]
		if !ok {
			return nil, nil, fmt.Errorf("config: port %q is not a port of the allocation", label)
		}
		inner := host
		if n := to[label]; n > 0 {
			inner = n
		}
		if n, ok := tc.PortMap[label]; ok {
			inner = n
		}
		for _, proto := range []string{"tcp", "udp"} {
			p, err := network.ParsePort(strconv.Itoa(inner) + "/" + proto)
			if err != nil {
				return nil, nil, fmt.Errorf("config: port %q: %w", label, err)
			}
			exposed[p] = struct{}{}
			bindings[p] = []network.PortBinding{{HostPort: strconv.Itoa(host)}}
		}
	}
	return exposed, bindings, nil
}

// hostVolumeMounts binds the task's host volumes (volume_mount blocks).
// They are the operator's own offer (host_volume in the client's
// configuration), so unlike config.volumes they need no
// docker_volumes_enabled. Mount objects, not "src:dst" strings, so that a
// path holding ':' stays one path.
func hostVolumeMounts(in []*drivers.MountConfig) []mount.Mount {
	if len(in) == 0 {
		return nil
	}
	out := make([]mount.Mount, 0, len(in))
	for _, m := range in {
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.HostPath, Target: m.TaskPath, ReadOnly: m.ReadOnly})
	}
	return out
}
