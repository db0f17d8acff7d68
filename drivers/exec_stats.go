package drivers

// ExecResult is the outcome of a command run with ExecTask.
type ExecResult struct {
	Stdout   []byte `json:"stdout"`
	Stderr   []byte `json:"stderr"`
	ExitCode int    `json:"exit_code"`
}

// TaskResourceUsage is a task's resource usage at one moment. CPUPercent is
// the share of one core used since the previous TaskStats call for the task
// (first call: since the task started), so 200 means two full cores.
type TaskResourceUsage struct {
	CPUPercent float64 `json:"cpu_percent"`
	// CPUTotalTicks is the task's total CPU time in clock ticks (1/100 s).
	CPUTotalTicks    uint64 `json:"cpu_total_ticks"`
	CPUUserNanos     uint64 `json:"cpu_user_ns,omitempty"`
	CPUSystemNanos   uint64 `json:"cpu_system_ns,omitempty"`
	CPUThrottledNs   uint64 `json:"cpu_throttled_ns,omitempty"`
	MemoryRSSBytes   uint64 `json:"memory_rss_bytes"`
	MemoryCacheBytes uint64 `json:"memory_cache_bytes,omitempty"`
	// MemoryUsageBytes is what the cgroup or container is charged with
	// (RSS plus page cache); 0 for drivers without one.
	MemoryUsageBytes uint64 `json:"memory_usage_bytes,omitempty"`
	// MemoryMaxBytes is the peak usage seen, when the driver knows it.
	MemoryMaxBytes uint64 `json:"memory_max_bytes,omitempty"`
	// MemoryLimitBytes is the hard limit in force, 0 when none.
	MemoryLimitBytes uint64 `json:"memory_limit_bytes,omitempty"`
	// PIDs is the number of processes in the task.
	PIDs int `json:"pids,omitempty"`
	// OpenFDs is the number of file descriptors its processes hold open,
	// when the driver can see them ("fds" in Measured).
	OpenFDs int `json:"open_fds,omitempty"`
	// Measured lists what the driver could measure ("cpu", "memory").
	Measured []string `json:"measured,omitempty"`
	// Timestamp is Unix nanoseconds when the sample was taken.
	Timestamp int64 `json:"timestamp"`
}
