package server

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/structs"
)

// Raft itself must keep writing when the data directory fills: a leader
// whose log store refuses an entry steps down, and every election then
// fails on the new leader's first (no-op) entry, so the server flaps with
// "no cluster leader" instead of answering. So the writes that users and
// operators send (jobs, ACLs, namespaces, mesh policy, ...) are refused
// with ErrDiskFull while the data directory's free space is below a
// reserve, which is kept for the writes that keep the cluster running
// (plan results, evaluations, allocation and node updates, leader
// duties) and for Raft's own entries.

// diskReserve is the free space kept: a tenth of the file system, at
// most 64 MB.
func diskReserve(total uint64) uint64 {
	r := total / 10
	if r > 64<<20 {
		r = 64 << 20
	}
	return r
}

// backgroundWrites keep the cluster running and may use the reserve.
var backgroundWrites = map[structs.MessageType]bool{
	structs.ApplyPlanResultsRequestType:  true,
	structs.ApplyPlanBatchRequestType:    true,
	structs.EvalUpdateRequestType:        true,
	structs.EvalDeleteRequestType:        true,
	structs.AllocClientUpdateRequestType: true,
	structs.NodeRegisterRequestType:      true,
	structs.NodeUpdateStatusRequestType:  true,
	structs.NodeUpdateRequestType:        true,
	structs.NodeDeregisterRequestType:    true,
	structs.CoreGCRequestType:            true,
	structs.NodePurgeRequestType:         true,
	structs.JobRolloutRequestType:        true,
	structs.PeriodicLaunchRequestType:    true,
	structs.MeshCARootsRequestType:       true,
}

// checkDiskHeadroom refuses a foreground write of size bytes that would
// eat into the reserve. Servers without a data directory (in-memory
// Raft) have nothing to check.
func (s *Server) checkDiskHeadroom(t structs.MessageType, size int) error {
	if s.config.DataDir == "" || backgroundWrites[t&^structs.IgnoreUnknownTypeFlag] {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Join(s.config.DataDir, "raft"), &st); err != nil {
		return nil // cannot tell: let the write try
	}
	free := st.Bavail * uint64(st.Bsize)
	need := diskReserve(st.Blocks*uint64(st.Bsize)) + 2*uint64(size)
	if free >= need {
		return nil
	}
	return s.diskFull(fmt.Errorf("raft apply: %d bytes free, %d kept for the cluster's own writes: %w", free, need, unix.ENOSPC))
}
