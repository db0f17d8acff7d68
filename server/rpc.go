package server

import (
	"errors"
	"fmt"
	"net/rpc"
	"reflect"
	"strings"
	"sync"

	"github.com/appmesh/appmesh/structs"
)

// setupRPC registers every endpoint with a net/rpc server. In-process callers
// (the HTTP API and the local client of an agent) go through RPC below; the
// network transport reuses the same registrations.
func (s *Server) setupRPC() error {
	s.rpcServer = rpc.NewServer()
	for name, e := range s.endpoints() {
		if err := s.rpcServer.RegisterName(name, e); err != nil {
			return fmt.Errorf("register %s endpoint: %w", name, err)
		}
	}
	return nil
}

// endpoints lists every RPC service; TestRPCDoors walks their methods.
func (s *Server) endpoints() map[string]any {
	return map[string]any{
		"Job":        &Job{srv: s},
		"Node":       &Node{srv: s},
		"Alloc":      &Alloc{srv: s},
		"Eval":       &Eval{srv: s},
		"Status":     &Status{srv: s},
		"Operator":   &Operator{srv: s},
		"ACL":        &ACL{srv: s},
		"Namespace":  &Namespace{srv: s},
		"System":     &System{srv: s},
		"Deployment": &Deployment{srv: s},
		// The built-in service catalog (endpoint_service.go).
		"ServiceRegistration": &ServiceRegistration{srv: s},
		"Mesh":                &Mesh{srv: s},
	}
}

// RPC calls an endpoint in-process. Errors keep their meaning across the call:
// "not found" and "invalid: ..." messages are recognised by the structs
// helpers (IsNotFound, IsValidation).
func (s *Server) RPC(method string, args any, reply any) error {
	codec := inmemCodecPool.Get().(*inmemCodec)
	defer inmemCodecPool.Put(codec)
	codec.reset(s, method, args, reply)
	err := s.rpcServer.ServeRequest(codec)
	// A refused call answers its error through the codec and also returns
	// it from ServeRequest; the answer is the one to keep.
	if codec.err != nil {
		return restoreError(codec.err)
	}
	if err != nil {
		return fmt.Errorf("rpc %s: %w", method, err)
	}
	return nil
}

// restoreError maps well-known error texts back to sentinel errors so that
// callers can use errors.Is after an RPC hop.
func restoreError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case msg == structs.ErrNoLeader.Error():
		return structs.ErrNoLeader
	case strings.HasSuffix(msg, structs.ErrNotFound.Error()):
		return fmt.Errorf("%s%w", strings.TrimSuffix(msg, structs.ErrNotFound.Error()), structs.ErrNotFound)
	}
	return err
}

var inmemCodecPool = sync.Pool{New: func() any { return new(inmemCodec) }}

// inmemCodec hands args and reply values straight to net/rpc without
// serialising them.
type inmemCodec struct {
	srv    *Server
	method string
	args   any
	reply  any
	err    error
}

func (c *inmemCodec) reset(srv *Server, method string, args, reply any) {
	c.srv, c.method, c.args, c.reply, c.err = srv, method, args, reply, nil
}

func (c *inmemCodec) ReadRequestHeader(req *rpc.Request) error {
	req.ServiceMethod = c.method
	return nil
}

func (c *inmemCodec) ReadRequestBody(args any) error {
	if args == nil {
		return nil
	}
	dst := reflect.Indirect(reflect.ValueOf(args))
	src := reflect.Indirect(reflect.ValueOf(c.args))
	if dst.Type() != src.Type() {
		return fmt.Errorf("rpc %s: args of type %s, want %s", c.method, src.Type(), dst.Type())
	}
	dst.Set(src)
	return c.srv.authorizeRPC(c.method, args)
}

func (c *inmemCodec) WriteResponse(resp *rpc.Response, reply any) error {
	if resp.Error != "" {
		c.err = errors.New(resp.Error)
		return nil
	}
	dst := reflect.Indirect(reflect.ValueOf(c.reply))
	src := reflect.Indirect(reflect.ValueOf(reply))
	if dst.Type() != src.Type() {
		return fmt.Errorf("rpc %s: reply of type %s, want %s", c.method, src.Type(), dst.Type())
	}
	dst.Set(src)
	return nil
}

func (c *inmemCodec) Close() error { return nil }
