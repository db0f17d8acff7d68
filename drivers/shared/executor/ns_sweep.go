package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// nsInitFile names the file in a task's state dir that identifies its init
// (pid and start time), so that a later plugin can tell a dead task's dir
// from a live one.
const nsInitFile = "init"

// nsStaleAfter is how old a state dir must be before a sweep may remove it:
// a younger one may belong to a task another plugin is starting right now.
const nsStaleAfter = time.Minute

func writeNSInit(stateDir string, pid int, ticks uint64) error {
	return os.WriteFile(filepath.Join(stateDir, nsInitFile), []byte(fmt.Sprintf("%d %d\n", pid, ticks)), 0o600)
}

// nsDirLive reports whether a state dir's init still runs. A dir without
// the file is live while it is young (its task is being started).
func nsDirLive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, nsInitFile))
	if err != nil {
		info, serr := os.Stat(dir)
		return serr == nil && time.Since(info.ModTime()) < nsStaleAfter
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	ticks, err2 := strconv.ParseUint(f[1], 10, 64)
	return err1 == nil && err2 == nil && processAlive(pid, ticks)
}

// SweepNamespaceState removes the state dirs of isolated tasks whose init
// is gone: left when a plugin died together with its tasks, so that nobody
// saw them end. Returns how many it removed.
func (d *Driver) SweepNamespaceState() int {
	base := d.exec.nsBase
	entries, err := os.ReadDir(base)
	if err != nil {
		return 0
	}
	removed := 0
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		if !e.IsDir() || nsDirLive(dir) {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed++
		}
	}
	return removed
}
