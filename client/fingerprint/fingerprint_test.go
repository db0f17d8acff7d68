package fingerprint

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/hashicorp/go-hclog"
)

func TestFingerprint_Host(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("values checked are Linux ones")
	}
	h, err := Fingerprint(context.Background(), t.TempDir(), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	a := h.Attributes
	num := func(key string) int {
		t.Helper()
		v, err := strconv.Atoi(a[key])
		if err != nil || v <= 0 {
			t.Fatalf("%s = %q, want a positive number", key, a[key])
		}
		return v
	}
	cores, mhz, total := num("cpu.numcores"), num("cpu.frequency"), num("cpu.totalcompute")
	if cores != runtime.NumCPU() && cores < 1 {
		t.Errorf("cores = %d", cores)
	}
	if total != cores*mhz || h.Resources.CPU != total || h.Resources.Cores != cores {
		t.Errorf("total compute %d, cores %d, mhz %d, resources %+v", total, cores, mhz, h.Resources)
	}
	mem, err := strconv.ParseUint(a["memory.totalbytes"], 10, 64)
	if err != nil || mem < 64<<20 || h.Resources.MemoryMB != int(mem>>20) {
		t.Errorf("memory.totalbytes = %q, resources %+v", a["memory.totalbytes"], h.Resources)
	}
	want := map[string]string{"kernel.name": "linux", "cpu.arch": runtime.GOARCH}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	for _, k := range []string{"os.name", "kernel.version", "unique.hostname"} {
		if a[k] == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if h.Resources.DiskMB <= 0 {
		t.Errorf("disk = %d MB", h.Resources.DiskMB)
	}
}

func TestProcCPUInfoMHz(t *testing.T) {
	if procCPUInfoMHz("/nonexistent") != 0 {
		t.Fatal("want 0 for a missing file")
	}
}

type source map[string]drivers.Driver

func (s source) Dispense(name string) (drivers.Driver, error) {
	if d, ok := s[name]; ok {
		return d, nil
	}
	return nil, errors.New("no such driver")
}

func (s source) Names() []string { return []string{"raw_exec", "missing"} }

func TestDrivers(t *testing.T) {
	src := source{"raw_exec": rawexec.New(hclog.NewNullLogger())}
	infos := Drivers(context.Background(), src, false, nil)
	if ri := infos["raw_exec"]; ri == nil || ri.Detected || ri.HealthDescription != RawExecDisabled {
		t.Fatalf("disabled raw_exec: %+v", ri)
	}
	if mi := infos["missing"]; mi == nil || mi.Detected {
		t.Fatalf("missing driver: %+v", mi)
	}
	infos = Drivers(context.Background(), src, true, nil)
	if ri := infos["raw_exec"]; !ri.Detected || !ri.Healthy {
		t.Fatalf("enabled raw_exec: %+v", ri)
	}
	attrs := DriverAttributes(infos)
	if attrs["driver.raw_exec"] != "1" || attrs["driver.missing"] != "" {
		t.Fatalf("attributes: %v", attrs)
	}
}
