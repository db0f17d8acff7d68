package structs

// The fields of a Job that the servers own, in one place. Every path that
// must ignore or reset them (register, plan, the spec comparison that
// decides a new version, `job plan -diff`) calls one of these two
// functions, so a field added to Job's server block is added here once;
// TestJobServerOwnedFieldsCleared fails when it is not.

// ClearBookkeeping zeroes what the servers record about a stored version:
// its status, version number, Raft indexes, submit time, rollout
// outcome and the last register's idempotency record. Two jobs equal after it have the same specification.
func (j *Job) ClearBookkeeping() {
	if j == nil {
		return
	}
	j.Status, j.StatusDescription = "", ""
	j.Version, j.SubmitTime = 0, 0
	j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = 0, 0, 0
	j.Stable, j.UpdateFailure = false, ""
	j.Promoted, j.ProgressTime = false, 0
	j.LastRegister = nil
}

// ClearServerOwned zeroes every field a user may not set: the bookkeeping
// plus Stop (set by `job stop`) and ParentID/Payload/DispatchIdempotencyToken
// (set only when the servers launch a periodic or dispatched child). A
// register or plan request never takes them from the user.
func (j *Job) ClearServerOwned() {
	if j == nil {
		return
	}
	j.ClearBookkeeping()
	j.Stop = false
	j.ParentID, j.Payload, j.DispatchIdempotencyToken = "", nil, ""
}
