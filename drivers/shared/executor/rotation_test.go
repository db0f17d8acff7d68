package executor_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestOutputRotation(t *testing.T) {
	d := newDriver(t)
	// 2600 lines of 1 KiB from one yes(1): a shell loop of 2600 pipelines
	// took most of the wait's deadline on a busy machine.
	cfg := shTask(t, "a/rot", `line=$(head -c 1023 /dev/zero | tr '\0' x); yes "$line" | head -n 2600; echo err >&2`)
	cfg.StdoutPath = filepath.Join(cfg.TaskDir, "web.stdout.0")
	cfg.StderrPath = filepath.Join(cfg.TaskDir, "web.stderr.0")
	cfg.LogMaxFiles, cfg.LogMaxFileSizeMB = 2, 1
	start(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	names, _ := filepath.Glob(filepath.Join(cfg.TaskDir, "web.*"))
	sort.Strings(names)
	var got []string
	var total int64
	for _, n := range names {
		fi, _ := os.Stat(n)
		got = append(got, filepath.Base(n))
		if filepath.Base(n) != "web.stderr.0" {
			total += fi.Size()
			if fi.Size() > 1<<20 {
				t.Errorf("%s is %d bytes, over the 1 MB max", n, fi.Size())
			}
		}
	}
	// 2600 KiB written in 1 MiB files: .0 and .1 full, .2 the rest; only
	// the newest two are kept.
	want := []string{"web.stderr.0", "web.stdout.1", "web.stdout.2"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("files = %v, want %v", got, want)
	}
	// Files rotate at read-chunk boundaries, so .0 may hold a little less
	// than 1 MiB; the two kept hold the rest of the 2600 KiB.
	if total < 2600*1024-(1<<20) || total > 2600*1024-(1<<20)+64<<10 {
		t.Errorf("kept %d bytes, want about %d", total, 2600*1024-(1<<20))
	}
	if b := readFile(t, cfg.StderrPath); b != "err\n" {
		t.Errorf("stderr = %q", b)
	}
	if fifos, _ := filepath.Glob(filepath.Join(cfg.TaskDir, ".*.fifo")); len(fifos) != 0 {
		t.Errorf("fifos left behind: %v", fifos)
	}
}
