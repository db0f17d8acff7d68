package transport

import (
	"fmt"
	"io"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// StreamEvents (agent → server) asks a server for its event stream. The
// request is written once, msgpack-encoded; the server answers with a
// stream status, then newline-delimited JSON until either side closes.
const StreamEvents byte = 'v'

// EventsRequest is what a subscriber asks for.
type EventsRequest struct {
	// Topics are "Topic" or "Topic:key" ("*" for every topic).
	Topics []string `json:"topics" codec:"topics"`
	// Index resumes after this Raft index (0: only new events).
	Index uint64 `json:"index" codec:"index"`
	// Namespace limits namespaced events to one namespace ("*": every
	// namespace the token may read).
	Namespace string `json:"namespace" codec:"namespace"`
	// Follow keeps the stream open for new events; without it the stream
	// ends once the buffered events after Index are sent.
	Follow bool `json:"follow" codec:"follow"`
	// Full sends allocations whole instead of their summaries.
	Full bool `json:"full" codec:"full,omitempty"`
	// Gzip sends the stream as one gzip stream (HTTP Content-Encoding:
	// gzip) whose batches are compressed once for all subscribers.
	Gzip bool `json:"gzip" codec:"gzip,omitempty"`
	// AuthToken is the caller's ACL token: the server filters with it.
	AuthToken string `json:"-" codec:"auth_token,omitempty"`
}

// WriteEventsRequest sends the request header.
func WriteEventsRequest(w io.Writer, req *EventsRequest) error {
	return codec.NewEncoder(w, structs.MsgpackHandle).Encode(req)
}

// ReadEventsRequest reads the request header.
func ReadEventsRequest(r io.Reader) (*EventsRequest, error) {
	var req EventsRequest
	if err := codec.NewDecoder(r, structs.MsgpackHandle).Decode(&req); err != nil {
		return nil, fmt.Errorf("read events request: %w", err)
	}
	return &req, nil
}
