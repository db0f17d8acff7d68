// Package fingerprint discovers what a node offers: CPU, memory, disk, OS,
// kernel, network address and drivers. It returns plain attributes and
// resources; the client decides what to do with them.
package fingerprint

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
)

// defaultMHz is assumed per core when the CPU frequency cannot be read
// (some VMs and containers hide it), so that scheduling still works.
const defaultMHz = 1000

// Host is the fingerprint of the machine.
type Host struct {
	Attributes map[string]string
	Resources  *structs.NodeResources
}

// Fingerprint reads the host's CPU, memory, OS, kernel, hostname and
// address. dataDir (may be empty) is where free disk space is measured.
// Only CPU and memory are required; the rest is best effort and logged.
func Fingerprint(ctx context.Context, dataDir string, logger hclog.Logger) (*Host, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	h := &Host{Attributes: map[string]string{}, Resources: &structs.NodeResources{}}
	if err := h.cpu(ctx, logger); err != nil {
		return nil, err
	}
	if err := h.memory(ctx); err != nil {
		return nil, err
	}
	h.host(ctx, logger)
	h.disk(ctx, dataDir, logger)
	if ip := localIP(); ip != "" {
		h.Attributes["unique.network.ip-address"] = ip
	} else {
		logger.Debug("no network address found for unique.network.ip-address")
	}
	return h, nil
}

func (h *Host) cpu(ctx context.Context, logger hclog.Logger) error {
	cores, err := cpu.CountsWithContext(ctx, true)
	if err != nil || cores <= 0 {
		logger.Warn("cannot count CPU cores; using the Go runtime's count", "error", err)
		cores = runtime.NumCPU()
	}
	mhz := cpuMHz(ctx)
	if mhz <= 0 {
		logger.Warn("CPU frequency unknown; assuming a default per core", "mhz", defaultMHz)
		mhz = defaultMHz
	}
	total := cores * mhz
	h.Attributes["cpu.numcores"] = strconv.Itoa(cores)
	h.Attributes["cpu.frequency"] = strconv.Itoa(mhz)
	h.Attributes["cpu.totalcompute"] = strconv.Itoa(total)
	h.Attributes["cpu.arch"] = runtime.GOARCH
	h.Resources.Cores = cores
	h.Resources.CPU = total
	return nil
}

// cpuMHz returns the per-core frequency in MHz, or 0 if unknown.
func cpuMHz(ctx context.Context) int {
	var best float64
	if infos, err := cpu.InfoWithContext(ctx); err == nil {
		for _, i := range infos {
			best = math.Max(best, i.Mhz)
		}
	}
	if best <= 0 {
		best = procCPUInfoMHz("/proc/cpuinfo")
	}
	return int(math.Round(best))
}

// procCPUInfoMHz reads the highest "cpu MHz" line of a cpuinfo file.
func procCPUInfoMHz(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var best float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(key) != "cpu MHz" {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			best = math.Max(best, v)
		}
	}
	return best
}

func (h *Host) memory(ctx context.Context) error {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return fmt.Errorf("fingerprint memory: %w", err)
	}
	h.Attributes["memory.totalbytes"] = strconv.FormatUint(vm.Total, 10)
	h.Resources.MemoryMB = int(vm.Total / (1024 * 1024))
	return nil
}

func (h *Host) host(ctx context.Context, logger hclog.Logger) {
	h.Attributes["kernel.name"] = runtime.GOOS
	h.Attributes["os.name"] = runtime.GOOS
	info, err := host.InfoWithContext(ctx)
	if err != nil {
		logger.Warn("cannot read host information", "error", err)
	} else {
		if info.OS != "" {
			h.Attributes["kernel.name"] = info.OS
		}
		if info.Platform != "" {
			h.Attributes["os.name"] = info.Platform
		}
		if info.PlatformVersion != "" {
			h.Attributes["os.version"] = info.PlatformVersion
		}
		if info.KernelVersion != "" {
			h.Attributes["kernel.version"] = info.KernelVersion
		}
		if info.Hostname != "" {
			h.Attributes["unique.hostname"] = info.Hostname
		}
	}
	if h.Attributes["unique.hostname"] == "" {
		if name, err := os.Hostname(); err == nil {
			h.Attributes["unique.hostname"] = name
		}
	}
}

func (h *Host) disk(ctx context.Context, dataDir string, logger hclog.Logger) {
	if dataDir == "" {
		return
	}
	u, err := disk.UsageWithContext(ctx, dataDir)
	if err != nil {
		logger.Debug("cannot read disk usage of the data dir", "path", dataDir, "error", err)
		return
	}
	h.Attributes["unique.storage.volume"] = u.Path
	h.Attributes["unique.storage.bytestotal"] = strconv.FormatUint(u.Total, 10)
	h.Attributes["unique.storage.bytesfree"] = strconv.FormatUint(u.Free, 10)
	h.Resources.DiskMB = int(u.Free / (1024 * 1024))
}

// localIP picks the first global unicast address of an interface that is
// up, IPv4 first; "" if there is none. It sends no packets.
func localIP() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	var v6 string
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || !ipn.IP.IsGlobalUnicast() {
				continue
			}
			if ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
			if v6 == "" {
				v6 = ipn.IP.String()
			}
		}
	}
	return v6
}
