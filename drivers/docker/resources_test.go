package docker_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// onlineCPUs is the number of cores containers on this (local) engine get.
func onlineCPUs(t *testing.T) []string {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatalf("online cpus: %v", err)
	}
	var cpus []string
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		z := a
		if isRange {
			z, _ = strconv.Atoi(hi)
		}
		for c := a; c <= z; c++ {
			cpus = append(cpus, strconv.Itoa(c))
		}
	}
	return cpus
}

// inspectHost returns the container's host config and main pid.
func inspectHost(t *testing.T, cfg *drivers.TaskConfig) (cpuset string, mem, reservation, swap, shares int64, pid int) {
	t.Helper()
	name := "appmesh-" + cfg.TaskName + "-" + cfg.AllocID
	in, err := engine(t).ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	hc := in.Container.HostConfig
	return hc.CpusetCpus, hc.Memory, hc.MemoryReservation, hc.MemorySwap, hc.CPUShares, in.Container.State.Pid
}

// allowedCPUs is what the kernel lets the process run on: the proof that
// the cpuset reached the container's cgroup, whatever its version.
func allowedCPUs(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("reading the container's process %d (the engine must be local): %v", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list in /proc/%d/status", pid)
	return ""
}

// startPinned starts a task reserving cores. Other tests on this host (the
// exec driver's run in parallel) may hold cores for a moment: a refusal
// for lack of free cores is retried for a while.
func startPinned(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := d.StartTask(cfg)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "free") || time.Now().After(deadline) {
			t.Fatalf("StartTask %s: %v", cfg.TaskName, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCoresPinContainers: `cores` gives each container whole cores of its
// own as CpusetCpus, the kernel confines the container to them, tasks
// never share a core, and asking for more than is free fails clearly.
// The same containers check memory, memory_max (reservation), no swap and
// cpu shares.
func TestCoresPinContainers(t *testing.T) {
	d := newDriver(t)
	online := onlineCPUs(t)
	t.Logf("online cpus: %v", online)

	a := taskCfg(t, "pin-a", map[string]any{"image": testImage}, &structs.Resources{CPU: 300, MemoryMB: 32, MemoryMaxMB: 64, Cores: 1})
	startPinned(t, d, a)
	defer d.DestroyTask(a.ID, true)
	cpusetA, mem, reservation, swap, shares, pid := inspectHost(t, a)
	// Which core depends on what else holds cores on this host right now
	// (other test runs, exec tasks): any one online core is right.
	if !slices.Contains(online, cpusetA) {
		t.Errorf("CpusetCpus = %q, want one online core of %v", cpusetA, online)
	}
	if got := allowedCPUs(t, pid); got != cpusetA {
		t.Errorf("container process may run on cpus %q, want only %q", got, cpusetA)
	}
	if mem != 64<<20 || reservation != 32<<20 || swap != 64<<20 || shares != 300 {
		t.Errorf("memory = %d, reservation = %d, memory+swap = %d, cpu shares = %d; want 64 MB, 32 MB, 64 MB (no swap), 300",
			mem, reservation, swap, shares)
	}

	// A second task gets another core.
	cpusetB := ""
	if len(online) > 1 {
		b := taskCfg(t, "pin-b", map[string]any{"image": testImage}, &structs.Resources{CPU: 100, MemoryMB: 32, Cores: 1})
		startPinned(t, d, b)
		defer d.DestroyTask(b.ID, true)
		var pidB int
		cpusetB, _, _, _, _, pidB = inspectHost(t, b)
		if cpusetB == cpusetA || !slices.Contains(online, cpusetB) {
			t.Errorf("second task CpusetCpus = %q, want an online core other than the first task's %q", cpusetB, cpusetA)
		}
		if got := allowedCPUs(t, pidB); got != cpusetB {
			t.Errorf("second container may run on cpus %q, want only %q", got, cpusetB)
		}
	} else {
		t.Logf("one online cpu: no second task to pin")
	}

	// More cores than the machine has: refused before any container exists.
	want := len(online) + 1
	c := taskCfg(t, "pin-c", map[string]any{"image": testImage}, &structs.Resources{CPU: 100, MemoryMB: 32, Cores: want})
	_, err := d.StartTask(c)
	if err == nil {
		d.DestroyTask(c.ID, true)
		t.Fatalf("StartTask with %d cores on %d succeeded", want, len(online))
	}
	for _, w := range []string{"cores: " + strconv.Itoa(want) + " requested", "of " + strconv.Itoa(len(online)) + " free"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q, want it to say %q", err, w)
		}
	}
	if _, ierr := engine(t).ContainerInspect(context.Background(), "appmesh-pin-c-"+c.AllocID, client.ContainerInspectOptions{}); ierr == nil {
		t.Errorf("a container was created for the refused task")
	}

	// A destroyed task's core is free again.
	if err := d.DestroyTask(a.ID, true); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	again := taskCfg(t, "pin-again", map[string]any{"image": testImage}, &structs.Resources{CPU: 100, MemoryMB: 32, Cores: 1})
	startPinned(t, d, again)
	defer d.DestroyTask(again.ID, true)
	if cpuset, _, _, _, _, _ := inspectHost(t, again); !slices.Contains(online, cpuset) || cpuset == cpusetB {
		t.Errorf("CpusetCpus = %q, want an online core not held by the running task (%q)", cpuset, cpusetB)
	}
}

// TestNoCoresNoCpuset: a task without `cores` may run on every core.
func TestNoCoresNoCpuset(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "free", map[string]any{"image": testImage}, &structs.Resources{CPU: 100, MemoryMB: 32})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	if cpuset, _, _, _, _, _ := inspectHost(t, cfg); cpuset != "" {
		t.Errorf("CpusetCpus = %q without cores, want unset", cpuset)
	}
}
