package structs

// ClientCallRequest relays an operation to the client agent of a node
// (signal, restart, exec, stats of an allocation there). The servers do not
// interpret Op or Body: they only carry them over the connection the
// client opened, so clients need no inbound port.
type ClientCallRequest struct {
	NodeID string `json:"node_id"`
	Op     string `json:"op"`
	Body   []byte `json:"body,omitempty"`
	// NoForward stops a server from asking the other servers (loop guard).
	NoForward bool `json:"no_forward,omitempty"`
	WriteRequest
}

// ClientCallResponse carries the client's answer.
type ClientCallResponse struct {
	Body []byte `json:"body,omitempty"`
}
