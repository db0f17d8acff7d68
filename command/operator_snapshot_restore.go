package command

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/appmesh/appmesh/api"
)

// OperatorSnapshotRestoreCommand replaces the cluster state with a snapshot.
type OperatorSnapshotRestoreCommand struct{ Meta }

func (c *OperatorSnapshotRestoreCommand) Synopsis() string {
	return "Restore the cluster state from a snapshot file"
}

func (c *OperatorSnapshotRestoreCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh operator snapshot restore [options] FILE

  Replaces the whole cluster state with the snapshot in FILE, written by
  "appmesh operator snapshot save". Everything written after the snapshot
  was taken is lost: jobs registered since then disappear. The request must
  reach the leader's agent (see "appmesh server members").

` + generalOptions)
}

func (c *OperatorSnapshotRestoreCommand) Run(args []string) int {
	fs := c.flagSet("operator snapshot restore", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return c.errorf("Error opening the snapshot: %v", err)
	}
	defer f.Close()
	// Check the header here: a wrong file fails at once, with its name,
	// instead of after an upload.
	br := bufio.NewReader(f)
	if head, _ := br.Peek(len(api.SnapshotMagic)); string(head) != api.SnapshotMagic {
		return c.errorf("Error: %s is not an appmesh snapshot (written by \"appmesh operator snapshot save\")", path)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := client.Operator().SnapshotRestore(ctx, br); err != nil {
		return c.errorf("Error restoring the snapshot from %s: %v", path, err)
	}
	c.Ui.Output(fmt.Sprintf("Restored snapshot from %s", path))
	return exitOK
}
