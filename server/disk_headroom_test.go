package server

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// The reserve is a tenth of the file system, capped; the writes users send
// are not background writes and so never eat into it.
func TestDiskReserve(t *testing.T) {
	if got := diskReserve(3 << 20); got != (3<<20)/10 {
		t.Errorf("reserve of 3 MB = %d, want a tenth", got)
	}
	if got := diskReserve(1 << 40); got != 64<<20 {
		t.Errorf("reserve of 1 TB = %d, want the 64 MB cap", got)
	}
	for _, fg := range []structs.MessageType{structs.JobRegisterRequestType, structs.JobDeregisterRequestType,
		structs.ACLPolicyUpsertRequestType, structs.NamespaceUpsertRequestType, structs.MeshIntentionRequestType} {
		if backgroundWrites[fg] {
			t.Errorf("%s may use the reserve; it is a user's write", fg)
		}
	}
	for _, bg := range []structs.MessageType{structs.ApplyPlanResultsRequestType, structs.EvalUpdateRequestType, structs.AllocClientUpdateRequestType} {
		if !backgroundWrites[bg] {
			t.Errorf("%s is refused like a user's write; the cluster needs it to run", bg)
		}
	}
}
