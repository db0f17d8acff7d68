package exec

import (
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
)

// staleAfter is how old an empty task cgroup must be before a starting
// driver removes it: younger ones may belong to a task another plugin
// (another agent on this host) is starting right now.
const staleAfter = time.Minute

// sweepStaleCgroups removes empty task cgroups left behind when a plugin
// died together with its tasks (e.g. the whole process tree was killed), so
// that they do not pile up across agent generations.
func sweepStaleCgroups(be cgroupBackend, logger hclog.Logger) {
	parent := be.parentDir()
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		info, err := os.Stat(filepath.Join(parent, e.Name()))
		if err != nil || time.Since(info.ModTime()) < staleAfter {
			continue
		}
		if pids, err := be.procs(e.Name()); err != nil || len(pids) > 0 {
			continue
		}
		if err := be.remove(e.Name()); err == nil {
			removed++
		}
	}
	if removed > 0 {
		logger.Info("removed stale empty task cgroups", "count", removed)
	}
}
