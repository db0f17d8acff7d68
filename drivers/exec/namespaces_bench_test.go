package exec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/exec"
)

// BenchmarkTaskStartToExit measures one exec task (/bin/true) from
// StartTask to its exit, with its own namespaces and root (chroot) and
// without (none), to show what the isolation costs per start.
func BenchmarkTaskStartToExit(b *testing.B) {
	for _, mode := range []string{"chroot", "none"} {
		b.Run(mode, func(b *testing.B) {
			d := exec.New(hclog.NewNullLogger())
			dir := b.TempDir()
			var starting, ending time.Duration
			for i := 0; i < b.N; i++ {
				cfg := &drivers.TaskConfig{
					ID: fmt.Sprintf("bench/%s-%d", mode, i), TaskName: "t", TaskDir: dir,
					Config:            map[string]any{"command": "/bin/true", "isolation": mode},
					StdoutPath:        filepath.Join(dir, "out"),
					StderrPath:        filepath.Join(dir, "err"),
					UnisolatedAllowed: true,
				}
				t0 := time.Now()
				if _, err := d.StartTask(cfg); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if res := waitBench(b, d, cfg.ID); res.ExitCode != 0 {
					b.Fatalf("exit %+v", res)
				}
				starting += t1.Sub(t0)
				ending += time.Since(t1)
				_ = d.DestroyTask(cfg.ID, true)
			}
			// StartTask returns once the task runs; the rest is the run
			// of /bin/true and, isolated, the namespaces' teardown.
			b.ReportMetric(float64(starting.Milliseconds())/float64(b.N), "start-ms/op")
			b.ReportMetric(float64(ending.Milliseconds())/float64(b.N), "exit-ms/op")
			_ = os.RemoveAll(dir)
		})
	}
}

func waitBench(b *testing.B, d drivers.Driver, id string) *drivers.ExitResult {
	res, err := d.WaitTask(b.Context(), id)
	if err != nil {
		b.Fatal(err)
	}
	return res
}
