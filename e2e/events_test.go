package e2e

import (
	"bufio"
	"context"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventStreamCLI: `appmesh event stream` started before a job is
// registered prints the job's, evaluation's and allocations' events in
// Raft index order; `-index N -no-follow` prints what came after N.
func TestEventStreamCLI(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(31)
	a.track(marker)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, "event", "stream", "-address", a.addr, "-index", "1",
		"-topic", "Node", "-topic", "Job:evstream", "-topic", "Evaluation", "-topic", "Allocation:evstream")
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start event stream: %v", err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// From index 1 the buffer already holds the node's registration: its
	// line shows the stream is connected before the job is registered.
	select {
	case l := <-lines:
		if !strings.Contains(l, "\tNode\t") {
			a.fatalf("first event line %q, want the node's registration", l)
		}
	case <-time.After(60 * time.Second):
		a.fatalf("event stream printed nothing from index 1")
	}

	if r := a.putJSON("/v1/jobs", designJSON("evstream", sec)); r.status != http.StatusOK {
		a.fatalf("PUT /v1/jobs: %d %s", r.status, r.body)
	}
	var got []string
	seen := map[string]bool{}
	deadline := time.After(90 * time.Second)
	for !(seen["Job JobRegistered"] && seen["Evaluation EvaluationUpdated"] && seen["Allocation AllocationUpdated"]) {
		select {
		case l, ok := <-lines:
			if !ok {
				a.fatalf("event stream ended early; got:\n%s", strings.Join(got, "\n"))
			}
			f := strings.Split(l, "\t")
			if len(f) != 5 {
				a.fatalf("event line %q: want index, topic, type, namespace, key", l)
			}
			if f[1] == "Node" {
				continue
			}
			got = append(got, l)
			seen[f[1]+" "+f[2]] = true
		case <-deadline:
			a.fatalf("event stream lacks the job's events; got:\n%s", strings.Join(got, "\n"))
		}
	}
	var last uint64
	for _, l := range got {
		idx, err := strconv.ParseUint(strings.Split(l, "\t")[0], 10, 64)
		if err != nil || idx < last {
			a.fatalf("events out of Raft order at %q:\n%s", l, strings.Join(got, "\n"))
		}
		last = idx
	}
	first, _ := strconv.ParseUint(strings.Split(got[0], "\t")[0], 10, 64)
	res := a.cli("event stream", "-index", strconv.FormatUint(first-1, 10), "-no-follow", "-topic", "Job:evstream")
	if res.code != 0 || !strings.Contains(res.stdout, "JobRegistered") {
		a.fatalf("event stream -index %d -no-follow: %s", first-1, res)
	}
	if res := a.cli("event stream", "-topic", "Jobs", "-no-follow"); res.code != 1 || !strings.Contains(res.stderr, "unknown event topic") {
		a.fatalf("event stream -topic Jobs: want exit 1 naming the topic, got %s", res)
	}
}
