package transport

import (
	"bufio"
	"io"
	"sync"

	"github.com/appmesh/appmesh/structs"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc/v2"
)

// Every RPC call opens a stream, and a codec with two 4 KB buffers per
// stream was a fifth of all memory allocated by a server under load (the
// garbage collector's work grows with it). A call is strictly request then
// response on one goroutine, so its buffers can come from a pool and go back
// when the call returns.
var (
	callReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	callWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

// callConn buffers one call's stream. Writes are held until the first
// read: the request goes out in one piece just before its response is
// awaited, with no flush the codec would have to know about.
type callConn struct {
	conn io.ReadWriteCloser
	r    *bufio.Reader
	w    *bufio.Writer
}

func newCallConn(conn io.ReadWriteCloser) *callConn {
	r := callReaders.Get().(*bufio.Reader)
	w := callWriters.Get().(*bufio.Writer)
	r.Reset(conn)
	w.Reset(conn)
	return &callConn{conn: conn, r: r, w: w}
}

func (c *callConn) Write(p []byte) (int, error) { return c.w.Write(p) }

func (c *callConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ReadByte and UnreadByte make the connection an io.ByteScanner, which the
// msgpack decoder reads from directly instead of adding its own buffer.
func (c *callConn) ReadByte() (byte, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.r.ReadByte()
}

func (c *callConn) UnreadByte() error { return c.r.UnreadByte() }

func (c *callConn) flush() error {
	if c.w.Buffered() == 0 {
		return nil
	}
	return c.w.Flush()
}

func (c *callConn) Close() error { return c.conn.Close() }

// release returns the buffers; the connection must not be used afterwards.
func (c *callConn) release() {
	c.r.Reset(nil)
	c.w.Reset(nil)
	callReaders.Put(c.r)
	callWriters.Put(c.w)
	c.r, c.w = nil, nil
}

// callOnStream makes one msgpack net/rpc call on a stream of its own.
func callOnStream(st io.ReadWriteCloser, method string, args, reply any) error {
	conn := newCallConn(st)
	defer conn.release()
	codec := msgpackrpc.NewCodecFromHandle(false, false, conn, structs.MsgpackHandle)
	return msgpackrpc.CallWithCodec(codec, method, args, reply)
}
