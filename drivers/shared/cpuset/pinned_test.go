package cpuset

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A tree laid out like a cgroup v1 cpuset hierarchy: only cgroups with
// processes and a cpuset narrower than the root's count, nested or not.
func TestPinned_Tree(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "cpuset.cpus"), "0-7\n")
	write(t, filepath.Join(root, "docker/cpuset.cpus"), "0-7\n") // a parent with every core
	write(t, filepath.Join(root, "docker/c1/cpuset.cpus"), "2\n")
	write(t, filepath.Join(root, "docker/c1/cgroup.procs"), "101\n")
	write(t, filepath.Join(root, "pinned-parent/cpuset.cpus"), "4-5\n")
	write(t, filepath.Join(root, "pinned-parent/leaf/cpuset.cpus"), "4-5\n")
	write(t, filepath.Join(root, "pinned-parent/leaf/cgroup.procs"), "102\n")
	write(t, filepath.Join(root, "empty/cpuset.cpus"), "6\n") // no processes: holds nothing
	write(t, filepath.Join(root, "empty/cgroup.procs"), "")
	write(t, filepath.Join(root, "v2-style/cpuset.cpus"), "") // unset on v2: inherits
	write(t, filepath.Join(root, "v2-style/cgroup.procs"), "103\n")
	got := Pinned(root)
	want := map[int]bool{2: true, 4: true, 5: true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Pinned = %v, want %v", got, want)
	}
}

// On the real cpuset hierarchy: a process pinned to one core in a cgroup
// of its own is seen.
func TestPinned_RealCgroup(t *testing.T) {
	root := "/sys/fs/cgroup/cpuset"
	if _, err := os.Stat(filepath.Join(root, "cpuset.cpus")); err != nil {
		t.Skipf("SKIP: no cgroup v1 cpuset hierarchy at %s (%v); the tree test covers the logic", root, err)
	}
	if os.Geteuid() != 0 {
		t.Skipf("SKIP: creating a cgroup needs root (euid %d)", os.Geteuid())
	}
	all, err := Parse(readList(filepath.Join(root, "cpuset.cpus")))
	if err != nil || len(all) < 2 {
		t.Skipf("SKIP: needs two cores to pin one (have %v, %v)", all, err)
	}
	core := all[len(all)-1]
	dir := filepath.Join(root, fmt.Sprintf("appmesh-pinned-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "60")
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		_ = os.Remove(dir)
	})
	write(t, filepath.Join(dir, "cpuset.cpus"), strconv.Itoa(core))
	write(t, filepath.Join(dir, "cpuset.mems"), readList(filepath.Join(root, "cpuset.mems")))
	if Pinned(root)[core] {
		// Another workload on this host pins that core already; the
		// empty cgroup must not be what made it count.
		t.Logf("core %d is pinned by another workload already", core)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "cgroup.procs"), strconv.Itoa(cmd.Process.Pid))
	if procs := readList(filepath.Join(dir, "cgroup.procs")); !strings.Contains(procs, strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("the process did not enter %s: %q", dir, procs)
	}
	if !Pinned(root)[core] {
		t.Fatalf("core %d, pinned by pid %d in %s, is not reported", core, cmd.Process.Pid, dir)
	}
}
