package main

import (
	"context"
	"fmt"

	"github.com/appmesh/appmesh/transport"
)

// call sends one RPC of a simulated node to server number target: over
// the network through pool, or with -inproc straight into that server's
// RPC handler (no client connection pools; a shut-down server answers
// with an error and the node moves on to the next one).
func (s *sim) call(ctx context.Context, pool *transport.Pool, target int, method string, args, reply any) error {
	if s.local == nil {
		return pool.RPC(ctx, s.addrs[target], method, args, reply)
	}
	srv := s.local[target]
	done := make(chan error, 1)
	go func() { done <- srv.RPC(method, args, reply) }()
	select {
	case err := <-done:
		if err != nil {
			return inprocError{err}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s on server %d: %w", method, target+1, ctx.Err())
	}
}

// inprocError is an error answered by an in-process server; like a
// network error it moves the node to the next server.
type inprocError struct{ err error }

func (e inprocError) Error() string { return e.err.Error() }
func (e inprocError) Unwrap() error { return e.err }
