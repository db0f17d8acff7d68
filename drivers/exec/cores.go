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
// Reservations live in the plugin's memory: a restarted plugin does not know
// the cores of tasks it recovered (they keep their cpuset).
type coreSet struct {
	mu   sync.Mutex
	all  []int
	used map[int]string // core → cgroup name
}

func newCoreSet(be cgroupBackend) (*coreSet, error) {
	cpus, err := cpuset.Parse(be.cpuset(""))
	if err != nil {
		return nil, fmt.Errorf("reading available cores: %w", err)
	}
	return &coreSet{all: cpus, used: map[int]string{}}, nil
}

// reserve picks n free cores for name and returns them as a cpuset list.
func (s *coreSet) reserve(name string, n int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var picked []string
	var cores []int
	for _, c := range s.all {
		if _, taken := s.used[c]; !taken && len(cores) < n {
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
