package exec

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/appmesh/appmesh/drivers/shared/cpuset"
)

// coreSet hands out whole cores to tasks that reserve them (`cores`). The
// scheduler decides how many cores a node has free; this only picks which.
// Besides its own reservations it skips every core the host has pinned now
// (cpuset.Pinned): the cores of tasks this plugin recovered after a restart,
// and those of containers the docker driver pinned.
type coreSet struct {
	mu   sync.Mutex
	all  []int
	root string         // the cpuset hierarchy's mount, scanned for pinned cores
	used map[int]string // core → cgroup name, reserved by this plugin
}

func newCoreSet(be cgroupBackend) (*coreSet, error) {
	cpus, err := cpuset.Parse(be.cpuset(""))
	if err != nil {
		return nil, fmt.Errorf("reading available cores: %w", err)
	}
	return &coreSet{all: cpus, root: be.cpusetRoot(), used: map[int]string{}}, nil
}

// reserve picks n free cores for name and returns them as a cpuset list.
func (s *coreSet) reserve(name string, n int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pinned := map[int]bool{}
	if s.root != "" {
		pinned = cpuset.Pinned(s.root)
	}
	var picked []string
	var cores []int
	for _, c := range s.all {
		if _, taken := s.used[c]; !taken && !pinned[c] && len(cores) < n {
			cores = append(cores, c)
			picked = append(picked, strconv.Itoa(c))
		}
	}
	if len(cores) < n {
		return "", fmt.Errorf("cores: %d requested, %d of %d free", n, len(cores), len(s.all))
	}
	for _, c := range cores {
		s.used[c] = name
	}
	return strings.Join(picked, ","), nil
}

func (s *coreSet) release(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, owner := range s.used {
		if owner == name {
			delete(s.used, c)
		}
	}
}
