package client

import "github.com/appmesh/appmesh/client/allocrunner"

// TasksMemoryBytes is the memory of every running task on this node, as
// the client measures it for allocation stats: each task's RSS, or its
// cgroup usage where the driver reports no RSS (App Mesh's
// mem_applications). Tasks whose driver cannot say count as 0.
func (c *Client) TasksMemoryBytes() uint64 {
	c.allocMu.RLock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.allocs))
	for _, ar := range c.allocs {
		runners = append(runners, ar)
	}
	c.allocMu.RUnlock()
	var total uint64
	for _, ar := range runners {
		for _, tu := range ar.RunningTaskUsage() {
			mem := tu.Usage.MemoryRSSBytes
			if mem == 0 {
				mem = tu.Usage.MemoryUsageBytes
			}
			total += mem
		}
	}
	return total
}
