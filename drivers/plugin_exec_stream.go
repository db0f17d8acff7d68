package drivers

import (
	"context"
	"fmt"
	"net"
	"net/rpc"
)

// An interactive exec crosses the plugin boundary as one net/rpc call that
// names a go-plugin broker stream: the host accepts the stream, the plugin
// dials it and serves the session's frames on it (ServeExecFrames). Errors
// found before the plugin dials (a driver without ExecStreamer) come back
// as the call's error; everything later as the session's last frame.

// RPCExecStreamArgs are ExecTaskStreaming's arguments.
type RPCExecStreamArgs struct {
	TaskID   string
	Cmd      []string
	Tty      bool
	Size     *TerminalSize
	StreamID uint32
}

var _ ExecStreamer = (*RPCClient)(nil)

// ExecTaskStreaming implements ExecStreamer over the plugin boundary.
func (c *RPCClient) ExecTaskStreaming(ctx context.Context, taskID string, opts *ExecOptions) (*ExitResult, error) {
	if c.broker == nil {
		return nil, fmt.Errorf("driver %s %w", c.name, ErrExecStreamingUnsupported)
	}
	id := c.broker.NextId()
	args := &RPCExecStreamArgs{TaskID: taskID, Cmd: opts.Command, Tty: opts.Tty, Size: opts.Size, StreamID: id}
	call := c.client.Go("Plugin.ExecTaskStreaming", args, new(struct{}), make(chan *rpc.Call, 1))
	type accepted struct {
		conn net.Conn
		err  error
	}
	acc := make(chan accepted, 1)
	go func() {
		conn, err := c.broker.Accept(id) // gives up by itself after 5s
		acc <- accepted{conn, err}
	}()
	select {
	case <-call.Done:
		// The plugin answered without dialing: it refused the session.
		go func() {
			if a := <-acc; a.conn != nil {
				a.conn.Close()
			}
		}()
		if call.Error == nil {
			return nil, fmt.Errorf("driver plugin: ExecTaskStreaming ended before its session started")
		}
		return nil, fromRPC("ExecTaskStreaming", call.Error)
	case a := <-acc:
		if a.err != nil {
			return nil, fmt.Errorf("driver plugin: exec session stream: %w", a.err)
		}
		// The call's own answer carries nothing more: the last frame has
		// the outcome, so its late reply is dropped.
		return RunExecFrames(ctx, NewFrameConn(a.conn, nil), opts)
	}
}

// ExecTaskStreaming serves ExecStreamer in the plugin.
func (s *RPCServer) ExecTaskStreaming(args *RPCExecStreamArgs, _ *struct{}) error {
	streamer, ok := s.impl.(ExecStreamer)
	if !ok {
		return fmt.Errorf("driver %s %w", s.impl.Name(), ErrExecStreamingUnsupported)
	}
	if s.broker == nil {
		return fmt.Errorf("driver %s (no stream broker) %w", s.impl.Name(), ErrExecStreamingUnsupported)
	}
	conn, err := s.broker.Dial(args.StreamID)
	if err != nil {
		return fmt.Errorf("exec session stream: %w", err)
	}
	base := ExecOptions{Command: args.Cmd, Tty: args.Tty, Size: args.Size}
	ServeExecFrames(context.Background(), NewFrameConn(conn, nil), base, func(ctx context.Context, o *ExecOptions) (*ExitResult, error) {
		return streamer.ExecTaskStreaming(ctx, args.TaskID, o)
	})
	return nil
}
