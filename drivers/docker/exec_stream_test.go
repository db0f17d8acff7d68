package docker_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/drivertest"
	"github.com/appmesh/appmesh/structs"
)

// TestExecStreaming runs an interactive docker exec with a TTY in a
// container of the test image (FROM scratch: the probe is part of its only
// binary), then one with pipes, then ends a session early.
func TestExecStreaming(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "probe", map[string]any{"image": testImage}, &structs.Resources{CPU: 100, MemoryMB: 64})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	s := d.(drivers.ExecStreamer)

	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	resize := make(chan drivers.TerminalSize, 1)
	var out drivertest.SyncBuffer
	done := make(chan error, 1)
	var res *drivers.ExitResult
	go func() {
		var err error
		res, err = s.ExecTaskStreaming(context.Background(), cfg.ID, &drivers.ExecOptions{
			Command: []string{"/srv", "ttyprobe"}, Tty: true,
			Size:  &drivers.TerminalSize{Height: 33, Width: 97},
			Stdin: stdinR, Stdout: &out, Stderr: &out, Resize: resize,
		})
		done <- err
	}()
	_, _ = stdinW.Write([]byte("hello\n"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ExecTaskStreaming: %v (output %q)", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("docker exec did not end; output %q", out.String())
	}
	if got := out.String(); !strings.Contains(got, "33 97") || !strings.Contains(got, "got:hello") || res.ExitCode != 7 {
		t.Fatalf("output %q, exit %d; want the size 33 97, got:hello and exit 7", got, res.ExitCode)
	}

	var stdout, stderr drivertest.SyncBuffer
	res, err := s.ExecTaskStreaming(context.Background(), cfg.ID, &drivers.ExecOptions{
		Command: []string{"/srv", "hog", "1"}, Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil || res.ExitCode != 0 || stdout.String() != "allocated 1\n" {
		t.Fatalf("pipes: %+v, %v, stdout %q stderr %q", res, err, stdout.String(), stderr.String())
	}

	_, err = s.ExecTaskStreaming(context.Background(), cfg.ID, &drivers.ExecOptions{Command: []string{"/no-such-program"}})
	if err == nil || !strings.Contains(err.Error(), `command "/no-such-program" not found in the container`) {
		t.Fatalf("missing program: %v", err)
	}

	// Ending the session early ends the command (it waits for input).
	ctx, cancel := context.WithCancel(context.Background())
	in2R, in2W := io.Pipe()
	defer in2W.Close()
	var out2 drivertest.SyncBuffer
	go func() {
		_, err := s.ExecTaskStreaming(ctx, cfg.ID, &drivers.ExecOptions{
			Command: []string{"/srv", "ttyprobe"}, Tty: true, Stdin: in2R, Stdout: &out2, Stderr: &out2,
		})
		done <- err
	}()
	time.Sleep(500 * time.Millisecond) // let it start and wait for input
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a canceled session reported success")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("canceling did not end the docker exec session")
	}
	// The engine cannot kill an exec: the driver did, by its host pid.
	name := "appmesh-probe-" + cfg.AllocID
	waitFor(t, "the canceled exec's process to be gone", func() bool {
		top, err := engine(t).ContainerTop(context.Background(), name, client.ContainerTopOptions{})
		if err != nil {
			return false
		}
		for _, p := range top.Processes {
			if strings.Contains(strings.Join(p, " "), "ttyprobe") {
				return false
			}
		}
		return true
	})
}
