package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

const (
	// defaultTailLines is what -tail shows without -n.
	defaultTailLines = 10
	// tailBytesPerLine sizes the window fetched from the end of the log for
	// -n lines; short enough to be cheap, generous for long lines.
	tailBytesPerLine = 256
	minTailBytes     = 16 << 10
	// tailQuiet is how long a followed stream must stay silent before the
	// initial backlog is considered complete (see tailThenFollow).
	tailQuiet = 150 * time.Millisecond
)

// AllocLogsCommand prints or follows a task's stdout or stderr.
type AllocLogsCommand struct{ Meta }

func (c *AllocLogsCommand) Synopsis() string { return "Print or follow a task's output" }

func (c *AllocLogsCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc logs [options] ID [TASK]

  Prints the stdout (or stderr) of a task of the allocation with the given ID
  or unique ID prefix. TASK may be left out when the allocation has a single
  task.

Logs Options:

  -stderr
    Print stderr instead of stdout.

  -f
    Follow: keep printing new output until interrupted.

  -tail
    Print only the end of the log (the last 10 lines, or -n).

  -n=<lines>
    Number of lines to print from the end; implies -tail.

` + generalOptions)
}

func (c *AllocLogsCommand) Run(args []string) int {
	fs := c.flagSet("alloc logs", false)
	stderr := fs.Bool("stderr", false, "")
	follow := fs.Bool("f", false, "")
	tail := fs.Bool("tail", false, "")
	lines := fs.Int("n", -1, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 2); code >= 0 {
		return code
	}
	if *lines == 0 || *lines < -1 {
		return c.usageError(c.Help(), "-n must be a positive number of lines, got %d", *lines)
	}
	if *lines > 0 {
		*tail = true
	} else if *tail {
		*lines = defaultTailLines
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	alloc, err := resolveAlloc(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	task, err := pickTask(client, alloc, fs.Arg(1))
	if err != nil {
		return c.errorf("%v", err)
	}
	logType := api.LogStdout
	if *stderr {
		logType = api.LogStderr
	}
	return c.stream(client, alloc.ID, task, logType, *follow, *lines)
}

// stream fetches the log and copies it to the output; lines > 0 keeps only
// the last lines of what already exists.
func (c *AllocLogsCommand) stream(client *api.Client, allocID, task, logType string, follow bool, lines int) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	origin, offset := api.OriginStart, int64(0)
	if lines > 0 {
		origin, offset = api.OriginEnd, int64(max(lines*tailBytesPerLine, minTailBytes))
	}
	rc, err := client.Allocations().Logs(ctx, allocID, task, logType, follow, offset, origin)
	if err != nil {
		return c.errorf("Error reading logs of task %q: %v", task, err)
	}
	defer rc.Close()
	out := c.out()
	switch {
	case lines > 0 && !follow:
		data, rerr := io.ReadAll(rc)
		_, _ = out.Write(lastLines(data, lines))
		err = rerr
	case lines > 0:
		err = tailThenFollow(rc, out, lines)
	default:
		_, err = io.Copy(out, rc)
	}
	if err != nil && ctx.Err() == nil {
		return c.errorf("Error reading logs of task %q: %v", task, err)
	}
	return exitOK // an interrupt is the normal way to end -f
}

// pickTask returns the named task, or the allocation's only task.
func pickTask(client *api.Client, alloc *structs.Allocation, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	tasks := sortedKeys(alloc.TaskStates)
	if len(tasks) == 0 {
		// No state reported yet: the job's definition knows the tasks.
		job, _, err := client.Jobs().Info(alloc.JobID, nil)
		if err != nil {
			return "", fmt.Errorf("Error finding the tasks of allocation %q: %v", structs.ShortID(alloc.ID), err)
		}
		if g := job.LookupGroup(alloc.TaskGroup); g != nil {
			for _, t := range g.Tasks {
				tasks = append(tasks, t.Name)
			}
		}
	}
	switch len(tasks) {
	case 1:
		return tasks[0], nil
	case 0:
		return "", fmt.Errorf("Allocation %q has no tasks", structs.ShortID(alloc.ID))
	}
	return "", fmt.Errorf("Allocation %q has %d tasks (%s); name one: appmesh alloc logs %s TASK",
		structs.ShortID(alloc.ID), len(tasks), strings.Join(tasks, ", "), structs.ShortID(alloc.ID))
}

// lastLines returns the last n lines of data. The first line of a window
// cut from the middle of a log may be partial, so it is only kept when the
// window holds fewer than n complete lines anyway.
func lastLines(data []byte, n int) []byte {
	end := len(data)
	if end > 0 && data[end-1] == '\n' {
		end-- // a trailing newline ends the last line, it does not start one
	}
	start := end
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(data[:start], '\n')
		if j < 0 {
			return data
		}
		start = j
	}
	return data[start+1:]
}

// tailThenFollow prints the last lines of the backlog, then everything new.
// The stream does not mark where the backlog ends, so the backlog is what
// arrives before the stream first goes quiet for tailQuiet.
func tailThenFollow(rc io.Reader, out io.Writer, lines int) error {
	chunks := make(chan []byte)
	errc := make(chan error, 1)
	done := make(chan struct{})
	defer close(done) // lets the reader goroutine end if we return early
	go func() {
		defer close(chunks)
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			if n > 0 {
				select {
				case chunks <- append([]byte(nil), buf[:n]...):
				case <-done:
					return
				}
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	var backlog []byte
	for inBacklog := true; inBacklog; {
		select {
		case chunk, ok := <-chunks:
			if !ok {
				_, _ = out.Write(lastLines(backlog, lines))
				return ignoreEOF(<-errc)
			}
			backlog = append(backlog, chunk...)
		case <-time.After(tailQuiet):
			inBacklog = false
		}
	}
	if _, err := out.Write(lastLines(backlog, lines)); err != nil {
		return err
	}
	for chunk := range chunks {
		if _, err := out.Write(chunk); err != nil {
			return err
		}
	}
	return ignoreEOF(<-errc)
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
