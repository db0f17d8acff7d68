package transport

import (
	"bufio"
	"io"
	"net/rpc"
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

// callConn buffers a stream in pooled buffers. For a caller, writes are
// held until the first read (flushOnRead): the request goes out in one
// piece just before its response is awaited, with no flush the codec would
// have to know about. A server flushes after each response instead, since
// its reads and writes run on different goroutines.
type callConn struct {
	conn        io.ReadWriteCloser
	r           *bufio.Reader
	w           *bufio.Writer
	flushOnRead bool
}

func newCallConn(conn io.ReadWriteCloser, flushOnRead bool) *callConn {
	r := callReaders.Get().(*bufio.Reader)
	w := callWriters.Get().(*bufio.Writer)
	r.Reset(conn)
	w.Reset(conn)
	return &callConn{conn: conn, r: r, w: w, flushOnRead: flushOnRead}
}

func (c *callConn) Write(p []byte) (int, error) { return c.w.Write(p) }

func (c *callConn) Read(p []byte) (int, error) {
	if c.flushOnRead {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	return c.r.Read(p)
}

// ReadByte and UnreadByte make the connection an io.ByteScanner, which the
// msgpack decoder reads from directly instead of adding its own buffer.
func (c *callConn) ReadByte() (byte, error) {
	if c.flushOnRead {
		if err := c.flush(); err != nil {
			return 0, err
		}
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
	conn := newCallConn(st, true)
	defer conn.release()
	codec := msgpackrpc.NewCodecFromHandle(false, false, conn, structs.MsgpackHandle)
	return msgpackrpc.CallWithCodec(codec, method, args, reply)
}

// ServeStream serves msgpack net/rpc calls on a stream until it ends.
// ServeCodec returns only after every response was written and the codec
// closed, so the buffers go back to the pool then.
func ServeStream(srv *rpc.Server, st io.ReadWriteCloser) {
	ServeStreamChecked(srv, st, nil)
}

// RequestCheck vets a decoded request before its endpoint runs; an error
// becomes the call's answer and the endpoint is not called.
type RequestCheck func(method string, args any) error

// ServeStreamChecked is ServeStream with every request passed through
// check first (nil: none). A server uses it to refuse, on a session that
// did not prove itself, calls only servers may make.
func ServeStreamChecked(srv *rpc.Server, st io.ReadWriteCloser, check RequestCheck) {
	conn := newCallConn(st, false)
	codec := &serverCodec{
		MsgpackCodec: msgpackrpc.NewCodecFromHandle(false, false, conn, structs.MsgpackHandle),
		conn:         conn,
		check:        check,
	}
	srv.ServeCodec(codec)
	conn.release()
}

// serverCodec flushes each response as a whole. Responses of calls that
// run at once on one stream are written one at a time.
type serverCodec struct {
	*msgpackrpc.MsgpackCodec
	conn *callConn
	mu   sync.Mutex

	// check and method are used by net/rpc's one reading goroutine only:
	// it reads a header, then its body.
	check  RequestCheck
	method string
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	err := c.MsgpackCodec.ReadRequestHeader(r)
	c.method = r.ServiceMethod
	return err
}

// ReadRequestBody decodes the arguments and runs the check on them. net/rpc
// answers a body error to the caller and goes on reading the stream.
func (c *serverCodec) ReadRequestBody(args any) error {
	if err := c.MsgpackCodec.ReadRequestBody(args); err != nil {
		return err
	}
	if c.check != nil && args != nil {
		return c.check(c.method, args)
	}
	return nil
}

func (c *serverCodec) WriteResponse(r *rpc.Response, body any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.MsgpackCodec.WriteResponse(r, body); err != nil {
		return err
	}
	return c.conn.flush()
}
