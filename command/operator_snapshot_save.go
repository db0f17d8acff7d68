package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// OperatorSnapshotSaveCommand saves the cluster state to a file.
type OperatorSnapshotSaveCommand struct{ Meta }

func (c *OperatorSnapshotSaveCommand) Synopsis() string { return "Save the cluster state to a file" }

func (c *OperatorSnapshotSaveCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh operator snapshot save [options] FILE

  Saves a point-in-time snapshot of the whole cluster state (jobs, nodes,
  allocations, evaluations) to FILE. The snapshot is written to FILE.tmp
  first and renamed to FILE once complete, so FILE is never half-written.
  Restore it with "appmesh operator snapshot restore FILE".

` + generalOptions)
}

func (c *OperatorSnapshotSaveCommand) Run(args []string) int {
	fs := c.flagSet("operator snapshot save", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	path := fs.Arg(0)
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return c.errorf("Error creating the snapshot file: %v", err)
	}
	counter := &countingWriter{w: f}
	err = client.Operator().SnapshotSave(ctx, counter)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return c.errorf("Error saving the snapshot to %s: %v", path, err)
	}
	c.Ui.Output(fmt.Sprintf("Saved snapshot to %s (%d bytes)", path, counter.n))
	return exitOK
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}
