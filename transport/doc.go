// Package transport is the network layer between agents: one TCP port per
// server carries both Raft and RPC, chosen by the first byte of each
// connection. RPC connections are yamux sessions; every call opens a stream
// and speaks msgpack net/rpc on it. Sessions are symmetric, so a server can
// open streams back to a client over the client's own connection: clients
// need no inbound port.
package transport

// Connection kinds: the first byte a dialer writes on a new TCP connection.
const (
	ConnRPC  byte = 0x01 // a yamux session of RPC (and reverse) streams
	ConnRaft byte = 0x02 // a Raft network transport connection
)

// Stream kinds: the first byte written on every yamux stream.
const (
	StreamRPC     byte = 'r' // msgpack net/rpc calls
	StreamHello   byte = 'h' // a client announces its node ID on its session
	StreamLogs    byte = 'l' // server → client: stream a task's logs
	StreamForward byte = 'f' // server → server: a streaming request forwarded
	// StreamExec and StreamForwardExec (exec.go) carry interactive exec.
)
