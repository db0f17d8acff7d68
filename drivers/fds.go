package drivers

import (
	"os"
	"strconv"
)

// CountOpenFDs counts the file descriptors the processes hold open, from
// /proc/<pid>/fd. A process that is gone, or whose fd directory this
// process may not read, counts 0.
func CountOpenFDs(pids []int) int {
	n := 0
	for _, pid := range pids {
		d, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd")
		if err != nil {
			continue
		}
		names, _ := d.Readdirnames(-1)
		d.Close()
		n += len(names)
	}
	return n
}
