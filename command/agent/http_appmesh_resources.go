package agent

import (
	"context"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	psnet "github.com/shirou/gopsutil/v4/net"
)

// amTimeFormat is how App Mesh writes times in its host report.
const amTimeFormat = "2006-01-02 15:04:05-07"

// registerAppMeshHostRoutes: the host report (node read, App Mesh's
// host-resource-view) and the agent's Prometheus metrics (agent read, as
// GET /v1/metrics).
func (s *HTTPServer) registerAppMeshHostRoutes() {
	s.route("/appmesh/resources", map[string]door{http.MethodGet: nodeAccess("read", s.amErrors(s.amResources))})
	s.route("/appmesh/metrics", map[string]door{http.MethodGet: agentAccess("read", s.amErrors(s.amMetrics))})
}

// GET /appmesh/metrics: the agent's metrics in Prometheus' text format.
func (s *HTTPServer) amMetrics(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	q.Del("format")
	r.URL.RawQuery = q.Encode()
	return s.metrics(w, r)
}

// amTasksMemoryBackend is a backend that can sum its node's task memory.
type amTasksMemoryBackend interface {
	TasksMemoryBytes() (uint64, error)
}

// GET /appmesh/resources: this host's CPU, memory, disks, load and network
// in App Mesh's shape, read when asked. mem_applications is the memory of
// the tasks running on this node (null on an agent without a client).
func (s *HTTPServer) amResources(w http.ResponseWriter, r *http.Request) (any, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	out := map[string]any{
		"appmesh_start_time": s.started.Format(amTimeFormat),
		"systime":            time.Now().Format(amTimeFormat),
		"pid":                os.Getpid(),
		"mem_applications":   nil,
	}
	if b, ok := s.backend.(amTasksMemoryBackend); ok {
		if n, err := b.TasksMemoryBytes(); err == nil {
			out["mem_applications"] = n
		}
	}
	if n, err := os.ReadDir("/proc/self/fd"); err == nil {
		out["fd"] = len(n)
	}
	if info, err := host.InfoWithContext(ctx); err == nil {
		out["host_name"] = info.Hostname
		out["host_description"] = info.Platform + " " + info.PlatformVersion + " " + info.KernelVersion
	}
	amCPU(ctx, out)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		out["mem_total_bytes"], out["mem_free_bytes"] = vm.Total, vm.Available
	}
	if sw, err := mem.SwapMemoryWithContext(ctx); err == nil {
		out["mem_totalSwap_bytes"], out["mem_freeSwap_bytes"] = sw.Total, sw.Free
	}
	if avg, err := load.AvgWithContext(ctx); err == nil {
		out["load"] = map[string]float64{"1min": avg.Load1, "5min": avg.Load5, "15min": avg.Load15}
	}
	out["fs"] = amDisks(ctx)
	out["net"] = amNet(ctx)
	return out, nil
}

func amCPU(ctx context.Context, out map[string]any) {
	if n, err := cpu.CountsWithContext(ctx, true); err == nil {
		out["cpu_processors"] = n
	}
	if n, err := cpu.CountsWithContext(ctx, false); err == nil {
		out["cpu_cores"] = n
	}
	if infos, err := cpu.InfoWithContext(ctx); err == nil {
		sockets := map[string]bool{}
		for _, i := range infos {
			sockets[i.PhysicalID] = true
		}
		out["cpu_sockets"] = max(len(sockets), 1)
	}
}

// amDisks lists the mounted file systems backed by a device.
func amDisks(ctx context.Context) []map[string]any {
	fs := []map[string]any{}
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		return fs
	}
	for _, p := range parts {
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		fs = append(fs, map[string]any{"device": p.Device, "mount_point": p.Mountpoint,
			"size": u.Total, "used": u.Used, "usage": u.UsedPercent / 100})
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i]["mount_point"].(string) < fs[j]["mount_point"].(string) })
	return fs
}

// amNet lists the addresses of the interfaces that are up, loopback aside.
func amNet(ctx context.Context) []map[string]any {
	out := []map[string]any{}
	ifs, err := psnet.InterfacesWithContext(ctx)
	if err != nil {
		return out
	}
	for _, i := range ifs {
		up, loop := false, false
		for _, f := range i.Flags {
			up = up || f == "up"
			loop = loop || f == "loopback"
		}
		if !up || loop {
			continue
		}
		for _, a := range i.Addrs {
			ip, _, err := net.ParseCIDR(a.Addr)
			if err != nil {
				continue
			}
			out = append(out, map[string]any{"name": i.Name, "address": ip.String(), "ipv4": ip.To4() != nil})
		}
	}
	return out
}
