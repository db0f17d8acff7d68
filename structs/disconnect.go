package structs

import "time"

// AllocClientUnknown is the client status of an allocation whose node
// stopped heartbeating while its group allows a disconnect window
// (max_client_disconnect, or disconnect.lost_after): the allocation may
// still run, so it is neither stopped nor lost until the window ends.
const AllocClientUnknown = "unknown"

// Reconcile choices of a disconnect block: which of an allocation that
// comes back and its replacement keeps running.
const (
	DisconnectKeepOriginal    = "keep_original"
	DisconnectKeepReplacement = "keep_replacement"
	DisconnectBestScore       = "best_score"
	DisconnectLongestRunning  = "longest_running"
)

// DisconnectStrategy is Nomad 1.8's group `disconnect` block.
type DisconnectStrategy struct {
	// LostAfter is how long an allocation of a node that stopped
	// heartbeating stays unknown before it is lost.
	LostAfter Duration `json:"lost_after,omitempty"`
	// Replace places a replacement while the allocation is unknown
	// (default true).
	Replace *bool `json:"replace,omitempty"`
	// Reconcile picks the survivor when the node comes back in time.
	Reconcile string `json:"reconcile,omitempty"`
	// StopOnClientAfter has the client stop the allocations once it has
	// not reached the servers for that long.
	StopOnClientAfter Duration `json:"stop_on_client_after,omitempty"`
}

// Copy returns a deep copy.
func (d *DisconnectStrategy) Copy() *DisconnectStrategy {
	if d == nil {
		return nil
	}
	c := *d
	if d.Replace != nil {
		r := *d.Replace
		c.Replace = &r
	}
	return &c
}

// Validate checks the block's values.
func (d *DisconnectStrategy) Validate() error {
	if d == nil {
		return nil
	}
	v := &ValidationError{}
	if d.LostAfter <= 0 && d.StopOnClientAfter <= 0 {
		v.Add("", "lost_after must be positive (got %s)", d.LostAfter.Std())
	}
	if d.LostAfter < 0 || d.StopOnClientAfter < 0 {
		v.Add("", "lost_after and stop_on_client_after must not be negative")
	}
	switch d.Reconcile {
	case "", DisconnectKeepOriginal, DisconnectKeepReplacement, DisconnectBestScore, DisconnectLongestRunning:
	default:
		v.Add("", "reconcile %q is invalid: use %q, %q, %q or %q", d.Reconcile,
			DisconnectBestScore, DisconnectKeepOriginal, DisconnectKeepReplacement, DisconnectLongestRunning)
	}
	return v.ErrorOrNil()
}

// DisconnectWindow is how long the group's allocations on a node that
// stopped heartbeating stay unknown before they are lost (0: they are
// lost at once).
func (g *TaskGroup) DisconnectWindow() time.Duration {
	if g == nil {
		return 0
	}
	if g.Disconnect != nil {
		return g.Disconnect.LostAfter.Std()
	}
	if g.MaxClientDisconnect != nil {
		return g.MaxClientDisconnect.Std()
	}
	return 0
}

// UnknownWhenDown reports whether the group's allocations on a node that
// stops heartbeating become unknown rather than lost: a disconnect window,
// or prevent_reschedule_on_lost (unknown until the node returns).
func (g *TaskGroup) UnknownWhenDown() bool {
	return g != nil && (g.DisconnectWindow() > 0 || g.PreventRescheduleOnLost)
}

// ReplacesDisconnected reports whether an unknown allocation of the group
// gets a replacement while its node is away.
func (g *TaskGroup) ReplacesDisconnected() bool {
	if g != nil && g.PreventRescheduleOnLost {
		return false
	}
	return g == nil || g.Disconnect == nil || g.Disconnect.Replace == nil || *g.Disconnect.Replace
}

// KeepsReplacement reports whether, when a disconnected allocation comes
// back, its replacement is kept and the original stopped. The default
// (and best_score, longest_running: appmesh does not score survivors)
// keeps the original, which has run the longest.
func (g *TaskGroup) KeepsReplacement() bool {
	return g != nil && g.Disconnect != nil && g.Disconnect.Reconcile == DisconnectKeepReplacement
}

// StopOnClientAfter is how long a client that cannot reach the servers
// keeps the group's allocations running before it stops them itself (0:
// it keeps them until the servers say otherwise).
func (g *TaskGroup) StopOnClientAfter() time.Duration {
	switch {
	case g == nil:
		return 0
	case g.Disconnect != nil && g.Disconnect.StopOnClientAfter > 0:
		return g.Disconnect.StopOnClientAfter.Std()
	case g.StopAfterClientDisconnect != nil:
		return g.StopAfterClientDisconnect.Std()
	}
	return 0
}

func validateDisconnect(v *ValidationError, g *TaskGroup) {
	if g.StopAfterClientDisconnect != nil && g.Disconnect != nil {
		v.Add("", "stop_after_client_disconnect and a disconnect block are both set: use disconnect { stop_on_client_after } instead")
	}
	if g.StopAfterClientDisconnect != nil && *g.StopAfterClientDisconnect <= 0 {
		v.Add("", "stop_after_client_disconnect must be positive (got %s)", g.StopAfterClientDisconnect.Std())
	}
	if g.MaxClientDisconnect != nil && g.Disconnect != nil {
		v.Add("", "max_client_disconnect and a disconnect block are both set: use disconnect { lost_after } alone")
	}
	if g.MaxClientDisconnect != nil && *g.MaxClientDisconnect <= 0 {
		v.Add("", "max_client_disconnect must be positive (got %s)", g.MaxClientDisconnect.Std())
	}
	v.Merge("disconnect", g.Disconnect.Validate())
}
