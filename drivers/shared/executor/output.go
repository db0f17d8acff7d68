package executor

import (
	"fmt"
	"os"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/logging"
)

// taskOutput is where a task's stdout and stderr go. Without rotation the
// child writes straight to its log files. With rotation each stream is a
// FIFO that one goroutine of this plugin copies into rotated files; the FIFO
// outlives the plugin, so a restarted plugin picks the stream up again.
type taskOutput struct {
	child   [2]*os.File // handed to the child as fds 1 and 2; closed after start
	streams []*logStream
	stdin   *taskStdin // nil: the task's stdin is /dev/null
}

// stdinChild is the task's fd 0, or nil for /dev/null.
func (o *taskOutput) stdinChild() *os.File {
	if o.stdin == nil {
		return nil
	}
	return o.stdin.child
}

type logStream struct {
	fifo string
	rot  *logging.Rotator
	cp   *logging.Copier
}

func rotationEnabled(cfg *drivers.TaskConfig) bool {
	return cfg.LogMaxFiles > 0 && cfg.LogMaxFileSizeMB > 0
}

// openOutputs prepares a new task's output.
func openOutputs(cfg *drivers.TaskConfig) (*taskOutput, error) {
	out := &taskOutput{}
	for i, path := range []string{cfg.StdoutPath, cfg.StderrPath} {
		f, err := out.openChildEnd(cfg, path)
		if err != nil {
			out.closeChild()
			out.stop()
			return nil, fmt.Errorf("opening %s: %w", streamName(i), err)
		}
		out.child[i] = f
	}
	stdin, err := openStdin(cfg)
	if err != nil {
		out.closeChild()
		out.stop()
		return nil, err
	}
	out.stdin = stdin
	return out, nil
}

func streamName(i int) string { return [...]string{"stdout", "stderr"}[i] }

func (o *taskOutput) openChildEnd(cfg *drivers.TaskConfig, path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	if !rotationEnabled(cfg) {
		// Appending, so a restarted task adds to the same log.
		return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	}
	fifo := logging.FIFOPath(path)
	f, err := logging.MakeFIFO(fifo)
	if err != nil {
		return nil, err
	}
	if err := o.attach(cfg, path, fifo); err != nil {
		f.Close()
		os.Remove(fifo)
		return nil, err
	}
	return f, nil
}

// attach starts copying the FIFO at fifo into the rotated files of path.
func (o *taskOutput) attach(cfg *drivers.TaskConfig, path, fifo string) error {
	rot, err := logging.NewRotator(path, cfg.LogMaxFiles, cfg.LogMaxFileSizeMB)
	if err != nil {
		return err
	}
	cp, err := logging.StartCopier(fifo, rot)
	if err != nil {
		rot.Close()
		return err
	}
	o.streams = append(o.streams, &logStream{fifo: fifo, rot: rot, cp: cp})
	return nil
}

// reopenOutputs picks up the FIFOs of a task started by an earlier plugin.
// Missing FIFOs (a task started without rotation) are not an error.
func reopenOutputs(cfg *drivers.TaskConfig) (*taskOutput, error) {
	out := &taskOutput{}
	if cfg.WantsStdin() {
		// The stdin pipe died with the earlier plugin (the task read end
		// of file): nobody reads the FIFO any more.
		os.Remove(stdinFIFOPath(cfg))
	}
	if !rotationEnabled(cfg) {
		return out, nil
	}
	for _, path := range []string{cfg.StdoutPath, cfg.StderrPath} {
		if path == "" {
			continue
		}
		fifo := logging.FIFOPath(path)
		if _, err := os.Stat(fifo); err != nil {
			continue
		}
		if err := out.attach(cfg, path, fifo); err != nil {
			out.stop()
			return nil, err
		}
	}
	return out, nil
}

func (o *taskOutput) closeChild() {
	for i, f := range o.child {
		if f != nil {
			f.Close()
			o.child[i] = nil
		}
	}
	o.stdin.closeChild()
}

// stop copies what is left and closes everything; call it once every
// process of the task is gone.
func (o *taskOutput) stop() {
	for _, s := range o.streams {
		s.cp.Stop()
		s.rot.Close()
		os.Remove(s.fifo)
	}
	o.streams = nil
	o.stdin.stop()
	o.stdin = nil
}
