package structs

import "fmt"

// JobRolloutRequestType records the outcome of a job version's rollout:
// the version became stable, or its update failed.
const JobRolloutRequestType MessageType = 13

// JobRolloutEntry marks one version of a job. The leader decides (from the
// allocations' health) and writes it; the FSM only stores it.
type JobRolloutEntry struct {
	Namespace string `json:"namespace"`
	JobID     string `json:"job_id"`
	Version   uint64 `json:"version"`
	// Stable marks the version stable (all its allocations were healthy).
	Stable bool `json:"stable,omitempty"`
	// Failure, when set, halts the version's rollout and says why.
	Failure string `json:"failure,omitempty"`
	// Promoted marks the version's canaries promoted; ProgressTime
	// (unix nanoseconds) restarts its progress_deadline clock.
	Promoted     bool  `json:"promoted,omitempty"`
	ProgressTime int64 `json:"progress_time,omitempty"`
	// Eval, when set, is stored with the entry (a promotion continues the
	// rollout), so that the mark and its evaluation are one Raft entry.
	Eval *Evaluation `json:"eval,omitempty"`
}

// UpdateFailureText is the job's update_failure for an allocation that
// turned unhealthy during the rollout of a version.
func UpdateFailureText(version uint64, allocName, why string) string {
	return fmt.Sprintf("update to version %d failed: allocation %s %s", version, allocName, why)
}
