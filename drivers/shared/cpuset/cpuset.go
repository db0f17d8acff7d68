// Package cpuset reads the kernel's CPU list format ("0-3,6"), shared by
// the drivers that pin tasks to cores.
package cpuset

import (
	"fmt"
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
