// Package cpuset reads the kernel's CPU list format ("0-3,6"), shared by
// the drivers that pin tasks to cores.
package cpuset

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Parse parses a CPU list such as "0-3,6" into sorted, distinct CPU IDs.
func Parse(list string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad cpu list %q", list)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad cpu list %q", list)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

// Pinned returns the cores that workloads on this host are pinned to now:
// every cgroup under root (a cpuset hierarchy's mount) that holds
// processes and whose cpuset.cpus is set and narrower than root's. It sees
// containers and recovered tasks alike, whoever pinned them, so drivers
// that hand out cores do not give away one another's.
func Pinned(root string) map[int]bool {
	used := map[int]bool{}
	all := readList(filepath.Join(root, "cpuset.cpus"))
	if all == "" {
		all = readList(filepath.Join(root, "cpuset.cpus.effective"))
	}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == root {
			return nil // gone meanwhile, or not a cgroup
		}
		list := readList(filepath.Join(path, "cpuset.cpus"))
		if list == "" || list == all {
			return nil
		}
		if procs := readList(filepath.Join(path, "cgroup.procs")); procs == "" {
			return nil // an empty cgroup holds no core
		}
		cpus, err := Parse(list)
		if err != nil {
			return nil
		}
		for _, c := range cpus {
			used[c] = true
		}
		return nil
	})
	return used
}

func readList(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}
