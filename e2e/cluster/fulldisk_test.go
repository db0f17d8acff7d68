package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size (e.g. "3m") on dir, unmounted at the
// end of the test. It needs root, as `make test` runs.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a %s tmpfs on %s (the test needs root): %v: %s", size, dir, err, out)
	}
	// Lazy: the agent may still hold files when this cleanup runs.
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
}

func resizeTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s with size %s: %v: %s", dir, size, err, out)
	}
}

// registerRaw submits a job and returns the status code and body.
func registerRaw(api *apiClient, job map[string]any) (int, string, error) {
	body, _ := json.Marshal(map[string]any{"job": job})
	req, _ := http.NewRequest(http.MethodPut, api.base+"/v1/jobs", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := api.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

// TestServerDataDirFull fills a server's data directory (a small tmpfs)
// with job registrations: the write that does not fit is refused with
// 507 and a message saying why, the server stays up as the leader and
// serves reads, writes resume once the tmpfs grows, and after a kill -9
// and restart every acknowledged job is there.
func TestServerDataDirFull(t *testing.T) {
	c := newProcCluster(t)
	s := c.newServer("s1", 1)
	mountTmpfs(t, s.dataDir, "3m")
	s.start()
	c.waitLeader([]*procAgent{s}, "")

	pad := strings.Repeat("x", 20_000) // each job takes ~20 KB of log
	acked := map[string]bool{}
	var refusal string
	for i := 0; i < 1000 && refusal == ""; i++ {
		id := fmt.Sprintf("fill-%d", i)
		job := execJob(id, "batch", 1, 16, "/bin/true")
		job["meta"] = map[string]string{"pad": pad}
		code, body, err := registerRaw(s.api, job)
		switch {
		case err != nil:
			t.Fatalf("register %s: %v (the server must answer, not drop the connection)\n%s", id, err, s.logTail())
		case code == http.StatusOK:
			acked[id] = true
		case code == http.StatusInsufficientStorage:
			refusal = body
		default:
			t.Fatalf("register %s on a filling disk: HTTP %d %s, want 200 or 507", id, code, body)
		}
	}
	if refusal == "" {
		t.Fatalf("1000 jobs of 20 KB fit in a 3 MB data dir: the test did not fill it")
	}
	if !strings.Contains(refusal, "no space left") || !strings.Contains(refusal, "data directory") {
		t.Fatalf("refusal %q does not say that the data directory is full", refusal)
	}
	t.Logf("%d jobs acknowledged before the disk filled; refusal: %s", len(acked), truncate(refusal, 200))

	if !s.alive() {
		t.Fatalf("the server died when its disk filled:\n%s", s.logTail())
	}
	c.waitLeader([]*procAgent{s}, "")
	jobs, err := s.api.jobs(false)
	if err != nil {
		t.Fatalf("reads on a full disk: %v", err)
	}
	have := jobIDs(jobs)
	for id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged job %s missing from the list on a full disk", id)
		}
	}

	resizeTmpfs(t, s.dataDir, "64m")
	waitFor(t, waitTimeout, "writes resume once space is freed", func() error {
		code, body, err := registerRaw(s.api, execJob("after-space", "batch", 1, 16, "/bin/true"))
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("HTTP %d %s", code, truncate(body, 200))
		}
		return nil
	}, s.logTail)
	acked["after-space"] = true

	s.kill9()
	s.start()
	c.waitLeader([]*procAgent{s}, "")
	jobs, err = s.api.jobs(false)
	if err != nil {
		t.Fatal(err)
	}
	have = jobIDs(jobs)
	for id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged job %s lost after a restart from the once-full data dir:\n%s", id, s.logTail())
		}
	}
}

// TestClientDataDirFull runs a task that writes output fast on a client
// whose data directory (allocation dirs, logs, client state) is a small
// tmpfs. When it fills, the client agent and the task keep running and
// the node stays ready; once the tmpfs grows, the task's log grows again.
func TestClientDataDirFull(t *testing.T) {
	c := newProcCluster(t)
	s := c.newServer("s1", 1)
	s.start()
	c.waitLeader([]*procAgent{s}, "")
	cl := c.newClient("c1", s)
	mountTmpfs(t, cl.dataDir, "12m")
	cl.start()
	waitNodesReady(t, s.api, "c1")

	// ~1 MB/s of output: full within seconds, without pinning a core.
	job := execJob("chatty", "service", 1, 32, "/bin/sh", "-c",
		"while :; do head -c 65536 /dev/zero | tr '\\000' x; echo; sleep 0.05; done")
	if err := s.api.register(job); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.api.do(http.MethodDelete, "/v1/job/chatty", nil, nil) }()
	waitRunning(t, s.api, "chatty", 1)

	logSize := func() int64 {
		var n int64
		_ = filepath.WalkDir(cl.dataDir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".stdout.") {
				if fi, err := d.Info(); err == nil {
					n += fi.Size()
				}
			}
			return nil
		})
		return n
	}
	waitFor(t, 2*waitTimeout, "the client's data dir fills up", func() error {
		var st syscall.Statfs_t
		if err := syscall.Statfs(cl.dataDir, &st); err != nil {
			return err
		}
		if free := st.Bavail * uint64(st.Bsize); free > 256<<10 {
			return fmt.Errorf("%d KB still free; logs hold %d KB", free>>10, logSize()>>10)
		}
		return nil
	}, cl.logTail)
	full := logSize()
	time.Sleep(3 * time.Second) // let the agent meet the full disk for a while

	if !cl.alive() {
		t.Fatalf("the client agent died when its disk filled:\n%s", cl.logTail())
	}
	allocs := waitRunning(t, s.api, "chatty", 1)
	nodes := waitNodesReady(t, s.api, "c1")
	if nodes["c1"].Status != "ready" {
		t.Fatalf("node c1 is %s with a full disk", nodes["c1"].Status)
	}

	resizeTmpfs(t, cl.dataDir, "64m")
	waitFor(t, 2*waitTimeout, "the task's log grows again once there is space", func() error {
		if n := logSize(); n <= full+(1<<20) {
			return fmt.Errorf("logs hold %d KB, %d KB when the disk was full", n>>10, full>>10)
		}
		return nil
	}, cl.logTail)
	after := waitRunning(t, s.api, "chatty", 1)
	if after[0].ID != allocs[0].ID {
		t.Fatalf("the allocation was replaced (%s, then %s): the full disk failed it", allocs[0].ID, after[0].ID)
	}
}
