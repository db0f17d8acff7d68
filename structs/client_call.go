package structs

// ClientCallRequest relays an operation to the client agent of a node
// (signal, restart, exec, stats of an allocation there). The servers do not
// interpret Op or Body: they only carry them over the connection the
// client opened, so clients need no inbound port.
type ClientCallRequest struct {
	NodeID string `json:"node_id"`
	// AllocID is the allocation the operation acts on; the servers check
	// the caller's token against its namespace and that it runs on NodeID.
	AllocID string `json:"alloc_id"`
	Op      string `json:"op"`
	Body    []byte `json:"body,omitempty"`
	// NoForward stops a server from asking the other servers (loop guard).
	NoForward bool `json:"no_forward,omitempty"`
	WriteRequest
}

// Operations relayed to the agent of the node that runs an allocation.
const (
	ClientOpSignal  = "alloc.signal"
	ClientOpRestart = "alloc.restart"
	ClientOpExec    = "alloc.exec"
	ClientOpStats   = "alloc.stats"
)

// ClientCallResponse carries the client's answer.
type ClientCallResponse struct {
	Body []byte `json:"body,omitempty"`
}
