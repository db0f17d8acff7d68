package structs

// Remote run (`appmesh run`): a one-off batch job of one task, marked by
// meta RunMetaKey, with ID "run-<short id>".
const (
	// RunMetaKey in a job's meta marks it as a remote run; the value is
	// the run mode ("sync" or "async").
	RunMetaKey = "appmesh.run"
	// RunJobPrefix starts every remote run's job ID.
	RunJobPrefix = "run-"
	// RunGroup and RunTask name the run job's only group and task.
	RunGroup = "run"
	RunTask  = "run"
)

// IsRunJob reports whether a job is a remote run.
func IsRunJob(j *Job) bool {
	if j == nil {
		return false
	}
	_, ok := j.Meta[RunMetaKey]
	return ok
}

// RunStatus is GET /v1/run/<id>: the run's output from the requested byte
// offsets and its exit code once known.
type RunStatus struct {
	ID       string `json:"id"`
	AllocID  string `json:"alloc_id,omitempty"`
	NodeName string `json:"node_name,omitempty"`
	// Status is pending (not placed or started yet), running or dead.
	Status string `json:"status"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// StdoutOffset and StderrOffset are where the next read continues
	// (?offset= and ?stderr_offset=).
	StdoutOffset int64 `json:"stdout_offset"`
	StderrOffset int64 `json:"stderr_offset"`
	// ExitCode is set once the task is dead; Failed tells a task that did
	// not run or ended unsuccessfully, Error why when it could not run.
	ExitCode *int   `json:"exit_code,omitempty"`
	Failed   bool   `json:"failed,omitempty"`
	Error    string `json:"error,omitempty"`
	// Truncated is set when more output exists beyond what was returned.
	Truncated bool `json:"truncated,omitempty"`
}
