package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// LogsRequest asks for a task's output over a stream. It is written once,
// msgpack-encoded, at the start of a StreamLogs or StreamForward stream.
type LogsRequest struct {
	AllocID string `json:"alloc_id"`
	Task    string `json:"task"`
	Type    string `json:"type"`
	Follow  bool   `json:"follow"`
	Offset  int64  `json:"offset"`
	// NoForward stops a server from asking other servers (loop guard).
	NoForward bool `json:"no_forward"`
	// For LogTypeAllocData: the node asking for a previous allocation's
	// data proves itself with its secret, and names its allocation
	// (ForAlloc) that replaces AllocID. The servers check both and strip
	// the secret before the request reaches the previous node.
	NodeID     string `json:"node_id,omitempty"`
	NodeSecret string `json:"node_secret,omitempty"`
	ForAlloc   string `json:"for_alloc,omitempty"`
}

// LogTypeAllocData asks a client for a tar stream of an allocation's
// alloc/data and its tasks' local/ directories: the data an
// ephemeral_disk { migrate = true } replacement on another node takes over.
const LogTypeAllocData = "alloc-data"

// streamStatus is the answer that precedes the raw output.
type streamStatus struct {
	Error    string `json:"error,omitempty"`
	NotFound bool   `json:"not_found,omitempty"`
}

// WriteLogsRequest sends the request header.
func WriteLogsRequest(w io.Writer, req *LogsRequest) error {
	return codec.NewEncoder(w, structs.MsgpackHandle).Encode(req)
}

// ReadLogsRequest reads the request header.
func ReadLogsRequest(r io.Reader) (*LogsRequest, error) {
	var req LogsRequest
	if err := codec.NewDecoder(r, structs.MsgpackHandle).Decode(&req); err != nil {
		return nil, fmt.Errorf("read logs request: %w", err)
	}
	return &req, nil
}

// WriteStreamStatus answers a request: nil means the output follows.
func WriteStreamStatus(w io.Writer, err error) error {
	st := streamStatus{}
	if err != nil {
		st.Error = err.Error()
		st.NotFound = structs.IsNotFound(err)
	}
	return codec.NewEncoder(w, structs.MsgpackHandle).Encode(&st)
}

// ReadStreamStatus reads the answer; it returns the remote error, if any,
// and a reader for the output that follows.
func ReadStreamStatus(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	var st streamStatus
	if err := codec.NewDecoder(br, structs.MsgpackHandle).Decode(&st); err != nil {
		return nil, fmt.Errorf("read stream status: %w", err)
	}
	if st.Error != "" {
		if st.NotFound {
			return nil, fmt.Errorf("%s: %w", trimNotFound(st.Error), structs.ErrNotFound)
		}
		return nil, errors.New(st.Error)
	}
	return br, nil
}

func trimNotFound(msg string) string {
	const suffix = ": " + "not found"
	if len(msg) > len(suffix) && msg[len(msg)-len(suffix):] == suffix {
		return msg[:len(msg)-len(suffix)]
	}
	return msg
}
