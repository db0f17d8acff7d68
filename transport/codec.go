package transport

import (
	"io"
	"net/rpc"

	"github.com/appmesh/appmesh/structs"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc/v2"
)

// NewServerCodec returns the msgpack net/rpc server codec used on streams.
// It shares the msgpack settings of Raft entries, so free-form maps (task
// config) decode as map[string]any with string keys.
func NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return msgpackrpc.NewCodecFromHandle(true, true, conn, structs.MsgpackHandle)
}

// NewClientCodec returns the matching client codec.
func NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return msgpackrpc.NewCodecFromHandle(true, true, conn, structs.MsgpackHandle)
}
