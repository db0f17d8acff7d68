package transport

import (
	"fmt"
	"io"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// StreamClientCall is a server → client stream carrying one ClientCall.
const StreamClientCall byte = 'c'

// clientCallAnswer is the client's reply on a StreamClientCall stream.
type clientCallAnswer struct {
	Body     []byte `json:"body,omitempty"`
	Error    string `json:"error,omitempty"`
	NotFound bool   `json:"not_found,omitempty"`
}

// DoClientCall sends req on a fresh stream and reads the answer.
func DoClientCall(st io.ReadWriter, req *structs.ClientCallRequest) ([]byte, error) {
	if err := codec.NewEncoder(st, structs.MsgpackHandle).Encode(req); err != nil {
		return nil, fmt.Errorf("send client call: %w", err)
	}
	var ans clientCallAnswer
	if err := codec.NewDecoder(st, structs.MsgpackHandle).Decode(&ans); err != nil {
		return nil, fmt.Errorf("read client answer: %w", err)
	}
	return ans.Body, answerError(ans.Error, ans.NotFound)
}

// ServeClientCall reads one call from st, runs handle and writes the answer.
func ServeClientCall(st io.ReadWriter, handle func(op string, body []byte) ([]byte, error)) error {
	var req structs.ClientCallRequest
	if err := codec.NewDecoder(st, structs.MsgpackHandle).Decode(&req); err != nil {
		return fmt.Errorf("read client call: %w", err)
	}
	body, err := handle(req.Op, req.Body)
	ans := clientCallAnswer{Body: body}
	if err != nil {
		ans.Error, ans.NotFound = err.Error(), structs.IsNotFound(err)
	}
	return codec.NewEncoder(st, structs.MsgpackHandle).Encode(&ans)
}

func answerError(msg string, notFound bool) error {
	switch {
	case msg == "":
		return nil
	case notFound:
		return fmt.Errorf("%s: %w", trimNotFound(msg), structs.ErrNotFound)
	}
	return fmt.Errorf("%s", msg)
}
