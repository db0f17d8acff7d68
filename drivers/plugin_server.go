package drivers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/go-plugin"
)

// The wire types of the net/rpc protocol. Anything holding a task config
// (map[string]any with nested lists and maps) travels as JSON bytes: gob
// would need every concrete type inside an interface registered up front.

// RPCJSON carries one JSON-encoded value.
type RPCJSON struct{ JSON []byte }

// RPCTaskID names a task.
type RPCTaskID struct{ TaskID string }

// RPCStopArgs are StopTask's arguments.
type RPCStopArgs struct {
	TaskID  string
	Timeout time.Duration
	Signal  string
}

// RPCDestroyArgs are DestroyTask's arguments.
type RPCDestroyArgs struct {
	TaskID string
	Force  bool
}

// RPCSignalArgs are SignalTask's arguments.
type RPCSignalArgs struct {
	TaskID string
	Signal string
}

// RPCServer serves a Driver over net/rpc inside the plugin process. net/rpc
// runs every call in its own goroutine, so a WaitTask blocked for hours does
// not hold up other calls.
type RPCServer struct {
	impl   Driver
	broker *plugin.MuxBroker
	idle   *idleMonitor // nil outside Serve
}

func toJSON(v any, reply *RPCJSON) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", v, err)
	}
	reply.JSON = b
	return nil
}

func fromJSON(args *RPCJSON, v any) error {
	if err := json.Unmarshal(args.JSON, v); err != nil {
		return fmt.Errorf("decoding %T: %w", v, err)
	}
	return nil
}

// Name serves Driver.Name.
func (s *RPCServer) Name(_ any, reply *string) error {
	*reply = s.impl.Name()
	return nil
}

// Fingerprint serves Driver.Fingerprint.
func (s *RPCServer) Fingerprint(_ any, reply *RPCJSON) error {
	fp, err := s.impl.Fingerprint(context.Background())
	if err != nil {
		return err
	}
	return toJSON(fp, reply)
}

// Capabilities serves Driver.Capabilities.
func (s *RPCServer) Capabilities(_ any, reply *RPCJSON) error {
	caps, err := s.impl.Capabilities()
	if err != nil {
		return err
	}
	return toJSON(caps, reply)
}

// StartTask serves Driver.StartTask; args hold a JSON TaskConfig.
func (s *RPCServer) StartTask(args *RPCJSON, reply *RPCJSON) error {
	var cfg TaskConfig
	if err := fromJSON(args, &cfg); err != nil {
		return err
	}
	h, err := s.impl.StartTask(&cfg)
	if err != nil {
		return err
	}
	return toJSON(h, reply)
}

// WaitTask serves Driver.WaitTask. It blocks until the task exits; a host
// that stops waiting simply never reads the reply.
func (s *RPCServer) WaitTask(args *RPCTaskID, reply *RPCJSON) error {
	res, err := s.impl.WaitTask(context.Background(), args.TaskID)
	if err != nil {
		return err
	}
	return toJSON(res, reply)
}

// StopTask serves Driver.StopTask.
func (s *RPCServer) StopTask(args *RPCStopArgs, _ *struct{}) error {
	return s.impl.StopTask(args.TaskID, args.Timeout, args.Signal)
}

// DestroyTask serves Driver.DestroyTask.
func (s *RPCServer) DestroyTask(args *RPCDestroyArgs, _ *struct{}) error {
	return s.impl.DestroyTask(args.TaskID, args.Force)
}

// InspectTask serves Driver.InspectTask.
func (s *RPCServer) InspectTask(args *RPCTaskID, reply *RPCJSON) error {
	st, err := s.impl.InspectTask(args.TaskID)
	if err != nil {
		return err
	}
	return toJSON(st, reply)
}

// RecoverTask serves Driver.RecoverTask; args hold a JSON TaskHandle.
func (s *RPCServer) RecoverTask(args *RPCJSON, _ *struct{}) error {
	var h TaskHandle
	if err := fromJSON(args, &h); err != nil {
		return err
	}
	return s.impl.RecoverTask(&h)
}

// SignalTask serves Driver.SignalTask.
func (s *RPCServer) SignalTask(args *RPCSignalArgs, _ *struct{}) error {
	return s.impl.SignalTask(args.TaskID, args.Signal)
}

// RPCExecArgs are ExecTask's arguments.
type RPCExecArgs struct {
	TaskID  string
	Cmd     []string
	Timeout time.Duration
}

// ExecTask serves Driver.ExecTask.
func (s *RPCServer) ExecTask(args *RPCExecArgs, reply *RPCJSON) error {
	res, err := s.impl.ExecTask(args.TaskID, args.Cmd, args.Timeout)
	if err != nil {
		return err
	}
	return toJSON(res, reply)
}

// TaskStats serves Driver.TaskStats.
func (s *RPCServer) TaskStats(args *RPCTaskID, reply *RPCJSON) error {
	u, err := s.impl.TaskStats(args.TaskID)
	if err != nil {
		return err
	}
	return toJSON(u, reply)
}
