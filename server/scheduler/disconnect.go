package scheduler

import (
	"github.com/appmesh/appmesh/structs"
)

// Desired descriptions of the disconnect rules.
const (
	descReconnectedOriginal    = "alloc not needed: the allocation it replaced reconnected within its disconnect window"
	descReconnectedReplacement = "alloc not needed: it reconnected after its replacement started (disconnect.reconcile = keep_replacement)"
)

// keepUnknown handles a live allocation on a down node when its group has
// a disconnect window (max_client_disconnect, disconnect.lost_after): until
// the window ends it is left running, unknown, and a replacement takes its
// index (unless disconnect.replace is false, when it keeps the index). A
// delayed evaluation at the window's end loses it if the node is still
// away. It reports false when the allocation is to be lost now.
func (r *reconciler) keepUnknown(tg *structs.TaskGroup, a *structs.Allocation, s *groupSlots, res *reconcileResult) bool {
	if !tg.UnknownWhenDown() || a.DisconnectedAt == 0 {
		// DisconnectedAt is set with the node going down, for groups that
		// had a window then; without it the allocation is simply lost.
		return false
	}
	// prevent_reschedule_on_lost without a window waits for the node.
	if window := tg.DisconnectWindow(); window > 0 {
		deadline := a.DisconnectedAt + int64(window)
		if r.now.UnixNano() >= deadline {
			return false
		}
		if res.rescheduleAt == 0 || deadline < res.rescheduleAt {
			res.rescheduleAt = deadline
		}
	}
	idx := a.Index()
	if !tg.ReplacesDisconnected() {
		if _, taken := s.live[idx]; !taken {
			s.live[idx] = a
		}
		return true
	}
	keepNewest(s.replace, idx, a)
	return true
}

// reconnected decides between two live allocations of one index when one
// of them was unknown (its node came back within the window) and the other
// replaced it meanwhile: by default the original, which has run the
// longest, is kept and the replacement stopped; reconcile =
// keep_replacement does the opposite. keep is nil when the pair is not
// such a case (preferred decides then).
func (r *reconciler) reconnected(tg *structs.TaskGroup, a, b *structs.Allocation) (keep, drop *structs.Allocation, desc string) {
	if a.JobVersion != b.JobVersion {
		return nil, nil, "" // an update is under way: the current version wins
	}
	orig, repl := a, b
	if newer(a, b) {
		orig, repl = b, a
	}
	if orig.DisconnectedAt == 0 || repl.DisconnectedAt != 0 || repl.CreateTime < orig.DisconnectedAt {
		return nil, nil, ""
	}
	if tg.KeepsReplacement() {
		return repl, orig, descReconnectedReplacement
	}
	return orig, repl, descReconnectedOriginal
}
