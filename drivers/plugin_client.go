package drivers

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"time"

	"github.com/hashicorp/go-plugin"
)

// RPCClient is the host side of a driver plugin: a Driver whose every call
// crosses to the plugin process over net/rpc.
type RPCClient struct {
	client *rpc.Client
	name   string
	// broker gives interactive exec sessions their own stream.
	broker *plugin.MuxBroker
}

var _ Driver = (*RPCClient)(nil)

// remoteError is an error returned by the driver in the plugin. Its text is
// kept as the driver wrote it (users read it, e.g. "config: command is
// required"); sentinel errors are re-attached so errors.Is keeps working.
type remoteError struct {
	msg    string
	target error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.target }

// fromRPC turns a net/rpc error into the driver's own error, or into a
// transport error (plugin gone, connection lost) that names the call.
func fromRPC(method string, err error) error {
	if err == nil {
		return nil
	}
	var se rpc.ServerError
	if errors.As(err, &se) {
		msg := string(se)
		return &remoteError{msg: msg, target: knownRemoteError(msg)}
	}
	return fmt.Errorf("driver plugin: %s: %w", method, err)
}

// call runs one RPC, giving up when ctx is done. An abandoned call stays
// outstanding in the plugin and its late reply is dropped; that is what lets
// WaitTask block in the plugin for the whole life of a task.
func (c *RPCClient) call(ctx context.Context, method string, args, reply any) error {
	call := c.client.Go("Plugin."+method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		return fromRPC(method, call.Error)
	case <-ctx.Done():
		return fmt.Errorf("driver plugin: %s: %w", method, ctx.Err())
	}
}

func (c *RPCClient) callJSON(ctx context.Context, method string, args any, out any) error {
	var reply RPCJSON
	if err := c.call(ctx, method, args, &reply); err != nil {
		return err
	}
	if err := fromJSON(&reply, out); err != nil {
		return fmt.Errorf("driver plugin: %s reply: %w", method, err)
	}
	return nil
}

func jsonArgs(v any) (*RPCJSON, error) {
	var a RPCJSON
	if err := toJSON(v, &a); err != nil {
		return nil, fmt.Errorf("driver plugin: %w", err)
	}
	return &a, nil
}

// Name implements Driver; the name is fetched once at dispense time.
func (c *RPCClient) Name() string { return c.name }

// Fingerprint implements Driver.
func (c *RPCClient) Fingerprint(ctx context.Context) (*Fingerprint, error) {
	var fp Fingerprint
	if err := c.callJSON(ctx, "Fingerprint", new(any), &fp); err != nil {
		return nil, err
	}
	return &fp, nil
}

// Capabilities implements Driver.
func (c *RPCClient) Capabilities() (*Capabilities, error) {
	var caps Capabilities
	if err := c.callJSON(context.Background(), "Capabilities", new(any), &caps); err != nil {
		return nil, err
	}
	return &caps, nil
}

// StartTask implements Driver.
func (c *RPCClient) StartTask(cfg *TaskConfig) (*TaskHandle, error) {
	args, err := jsonArgs(cfg)
	if err != nil {
		return nil, err
	}
	var h TaskHandle
	if err := c.callJSON(context.Background(), "StartTask", args, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// WaitTask implements Driver. It returns early when ctx is done, and with
// an error when the plugin process dies.
func (c *RPCClient) WaitTask(ctx context.Context, taskID string) (*ExitResult, error) {
	var res ExitResult
	if err := c.callJSON(ctx, "WaitTask", &RPCTaskID{TaskID: taskID}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// StopTask implements Driver.
func (c *RPCClient) StopTask(taskID string, timeout time.Duration, signal string) error {
	args := &RPCStopArgs{TaskID: taskID, Timeout: timeout, Signal: signal}
	return c.call(context.Background(), "StopTask", args, new(struct{}))
}

// DestroyTask implements Driver.
func (c *RPCClient) DestroyTask(taskID string, force bool) error {
	args := &RPCDestroyArgs{TaskID: taskID, Force: force}
	return c.call(context.Background(), "DestroyTask", args, new(struct{}))
}

// InspectTask implements Driver.
func (c *RPCClient) InspectTask(taskID string) (*TaskStatus, error) {
	var st TaskStatus
	if err := c.callJSON(context.Background(), "InspectTask", &RPCTaskID{TaskID: taskID}, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// RecoverTask implements Driver.
func (c *RPCClient) RecoverTask(h *TaskHandle) error {
	args, err := jsonArgs(h)
	if err != nil {
		return err
	}
	return c.call(context.Background(), "RecoverTask", args, new(struct{}))
}

// SignalTask implements Driver.
func (c *RPCClient) SignalTask(taskID string, signal string) error {
	args := &RPCSignalArgs{TaskID: taskID, Signal: signal}
	return c.call(context.Background(), "SignalTask", args, new(struct{}))
}

// ExecTask implements Driver. The call is bounded by the command's own
// timeout in the plugin; the host waits for it.
func (c *RPCClient) ExecTask(taskID string, cmd []string, timeout time.Duration) (*ExecResult, error) {
	var res ExecResult
	args := &RPCExecArgs{TaskID: taskID, Cmd: cmd, Timeout: timeout}
	if err := c.callJSON(context.Background(), "ExecTask", args, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// TaskStats implements Driver.
func (c *RPCClient) TaskStats(taskID string) (*TaskResourceUsage, error) {
	var u TaskResourceUsage
	if err := c.callJSON(context.Background(), "TaskStats", &RPCTaskID{TaskID: taskID}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
