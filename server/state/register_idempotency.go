package state

import "github.com/appmesh/appmesh/structs"

// RegisterOnce prepares a register's job for UpsertJob. When the stored
// job was last written by a register with the same idempotency token, it
// reports dup and the FSM drops the write: a retry racing its first try
// (both passed the leader's check) commits once, whatever their order.
// Otherwise it stamps the record with this Raft index, so UpsertJob can
// note the job modify index it answers with.
func (tx *WriteTxn) RegisterOnce(job *structs.Job) (dup bool, err error) {
	if job == nil || job.LastRegister == nil || job.LastRegister.Token == "" {
		return false, nil
	}
	old, err := tx.job(namespaceOrDefault(job.Namespace), job.ID)
	if err != nil {
		return false, err
	}
	if old != nil && old.LastRegister != nil && old.LastRegister.Token == job.LastRegister.Token {
		return true, nil
	}
	job.LastRegister.Index = tx.index
	return false, nil
}

// noteRegister completes the register record of a job written at this
// index with its job modify index (set by UpsertJob just before).
func (tx *WriteTxn) noteRegister(c *structs.Job) {
	if r := c.LastRegister; r != nil && r.Index == tx.index {
		r.JobModifyIndex = c.JobModifyIndex
	}
}
