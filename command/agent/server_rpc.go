package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/yamux"
)

// rpcCallTimeout bounds one call, blocking queries included.
const rpcCallTimeout = structs.MaxBlockingQueryTime + time.Minute

// serverRPC is how a client-only agent reaches the servers: one known server
// at a time, failing over to the next on a network error, and learning the
// current server set from registration and heartbeat answers.
type serverRPC struct {
	logger hclog.Logger
	pool   *transport.Pool

	mu      sync.Mutex
	servers []string
	current int
	// nodeID and secretID name and prove the node this agent's client
	// runs, in the hello on each session.
	nodeID   func() string
	secretID func() string
	// logs serves the log streams servers open back to this client;
	// calls serves relayed operations (signal, exec ...).
	logs  func(ctx context.Context, req *transport.LogsRequest, w io.Writer) error
	calls func(op string, body []byte) ([]byte, error)
	// stdin serves the task input streams servers open back (remote run).
	stdin func(req *transport.LogsRequest, r io.Reader) error
	// exec serves interactive exec sessions; it owns (closes) the stream.
	exec func(st net.Conn)
}

func newServerRPC(logger hclog.Logger, servers []string) *serverRPC {
	r := &serverRPC{logger: logger.Named("rpc"), servers: append([]string(nil), servers...)}
	r.pool = transport.NewPool(logger)
	r.pool.OnSession = r.hello
	r.pool.Handler = r.serveStream
	return r
}

// RPC implements client.RPCer.
func (r *serverRPC) RPC(method string, args, reply any) error {
	ctx, cancel := context.WithTimeout(context.Background(), rpcCallTimeout)
	defer cancel()
	return r.RPCContext(ctx, method, args, reply)
}

// RPCContext calls a server, failing over on network errors. Errors from
// the endpoint itself are returned as they are.
func (r *serverRPC) RPCContext(ctx context.Context, method string, args, reply any) error {
	var last error
	attempts := 2 * max(1, len(r.serverList()))
	for i := 0; i < attempts; i++ {
		addr := r.pick()
		if addr == "" {
			return errors.New("no servers known: start the agent with -servers ADDR")
		}
		err := r.pool.RPC(ctx, addr, method, args, reply)
		if err == nil {
			r.learn(reply)
			return nil
		}
		if transport.IsServerError(err) {
			return remoteError(err)
		}
		if ctx.Err() != nil {
			return err
		}
		last = err
		r.logger.Debug("server unreachable, trying the next", "server", addr, "error", err)
		r.rotate(addr)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i) * 50 * time.Millisecond):
		}
	}
	return fmt.Errorf("no server reachable (%s): %w", strings.Join(r.serverList(), ", "), last)
}

// remoteError keeps the meaning of well-known errors across the network.
func remoteError(err error) error {
	msg := err.Error()
	switch {
	case strings.HasSuffix(msg, structs.ErrNotFound.Error()):
		return fmt.Errorf("%s%w", strings.TrimSuffix(msg, structs.ErrNotFound.Error()), structs.ErrNotFound)
	case msg == structs.ErrNoLeader.Error():
		return structs.ErrNoLeader
	}
	return errors.New(msg)
}

func (r *serverRPC) serverList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.servers...)
}

func (r *serverRPC) pick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.servers) == 0 {
		return ""
	}
	return r.servers[r.current%len(r.servers)]
}

func (r *serverRPC) rotate(failed string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.servers) > 0 && r.servers[r.current%len(r.servers)] == failed {
		r.current = (r.current + 1) % len(r.servers)
	}
}

// learn takes the server set from registration/heartbeat answers, keeping
// the configured servers too so a cluster that lost all but those can still
// be found.
func (r *serverRPC) learn(reply any) {
	up, ok := reply.(*structs.NodeUpdateResponse)
	if !ok || len(up.Servers) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := ""
	if len(r.servers) > 0 {
		cur = r.servers[r.current%len(r.servers)]
	}
	seen := map[string]bool{}
	var next []string
	for _, s := range append(append([]string(nil), up.Servers...), r.servers...) {
		if !seen[s] {
			seen[s] = true
			next = append(next, s)
		}
	}
	r.servers = next
	for i, s := range next {
		if s == cur {
			r.current = i
		}
	}
}

// hello announces this node on a new session so the server can open
// streams back to it: "<node ID> <node secret>\n". The server uses the
// session for the node only if the secret is the node's.
func (r *serverRPC) hello(addr string, s *yamux.Session) {
	r.mu.Lock()
	id, secret := r.nodeID, r.secretID
	r.mu.Unlock()
	if id == nil || secret == nil || id() == "" || secret() == "" {
		return
	}
	st, err := s.OpenStream()
	if err != nil {
		return
	}
	defer st.Close()
	_, _ = st.Write(append([]byte{transport.StreamHello}, []byte(id()+" "+secret()+"\n")...))
}

// serveStream answers streams a server opens back to this client.
func (r *serverRPC) serveStream(kind byte, st net.Conn) {
	defer st.Close()
	r.mu.Lock()
	calls := r.calls
	stdin := r.stdin
	exec := r.exec
	r.mu.Unlock()
	if kind == transport.StreamExec && exec != nil {
		exec(st)
		return
	}
	if kind == transport.StreamStdin && stdin != nil {
		_ = transport.ServeStdin(st, stdin)
		return
	}
	if kind == transport.StreamClientCall && calls != nil {
		if err := transport.ServeClientCall(st, calls); err != nil {
			r.logger.Warn("relayed operation", "error", err)
		}
		return
	}
	if kind != transport.StreamLogs || r.logs == nil {
		return
	}
	req, err := transport.ReadLogsRequest(st)
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The server sends nothing after the request: a read returns when it
	// closes the stream, which ends the (possibly following) copy.
	go func() {
		var b [1]byte
		_, _ = st.Read(b[:])
		cancel()
	}()
	sw := &streamStatusWriter{w: st}
	err = r.logs(ctx, req, sw)
	if !sw.started {
		_ = transport.WriteStreamStatus(st, err)
	}
}

func (r *serverRPC) close() { r.pool.Close() }

// streamStatusWriter writes the "ok" status before the first output byte.
type streamStatusWriter struct {
	w       io.Writer
	started bool
}

func (s *streamStatusWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		if err := transport.WriteStreamStatus(s.w, nil); err != nil {
			return 0, err
		}
	}
	return s.w.Write(p)
}

// forwardLogs asks a server to fetch logs from the allocation's node.
func (r *serverRPC) forwardLogs(ctx context.Context, req *transport.LogsRequest, w io.Writer) error {
	addr := r.pick()
	if addr == "" {
		return errors.New("no servers known")
	}
	st, err := r.pool.OpenStream(ctx, addr, transport.StreamForward)
	if err != nil {
		return err
	}
	defer st.Close()
	stop := transport.CloseOnDone(ctx, st)
	defer stop()
	if err := transport.WriteLogsRequest(st, req); err != nil {
		return err
	}
	out, err := transport.ReadStreamStatus(st)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, out); err != nil && ctx.Err() == nil {
		return fmt.Errorf("copy logs: %w", err)
	}
	return nil
}
