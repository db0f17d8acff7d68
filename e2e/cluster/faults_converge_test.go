package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// convergeTimeout bounds the wait for a healed cluster to converge; the
// time it took is reported (the target is 30 s).
const convergeTimeout = 3 * time.Minute

// converged says what still differs from a converged cluster, or nil: one
// leader that every server names; every server's own state (?stale) equal
// at the same Raft index; each job's desired count running exactly, with no
// allocation name running twice and no node over its memory; on the
// clients, exactly as many task processes of each job as it should run.
func (w *workload) converged(nodeMem map[string]int) error {
	leader, err := w.oneLeader()
	if err != nil {
		return err
	}
	if err := w.sameState(); err != nil {
		return err
	}
	perNode := map[string]int{}
	w.running = 0
	for _, k := range w.keys {
		var j struct {
			Stop   bool `json:"stop"`
			Groups []struct {
				Count int `json:"count"`
			} `json:"groups"`
		}
		want := 0
		switch err := leader.api.get("/v1/job/"+k, &j); {
		case err == nil:
			if !j.Stop && len(j.Groups) == 1 {
				want = j.Groups[0].Count
			}
		case strings.Contains(err.Error(), "HTTP 404"):
		default:
			return err
		}
		allocs, err := leader.api.jobAllocs(k)
		if err != nil && !strings.Contains(err.Error(), "HTTP 404") {
			return err
		}
		run := running(allocs)
		if len(run) != want {
			return fmt.Errorf("job %s: %d allocations running, want %d: %s", k, len(run), want, allocSummary(allocs))
		}
		seen := map[string]bool{}
		for _, a := range run {
			if seen[a.Name] {
				return fmt.Errorf("job %s: allocation %s runs twice: %s", k, a.Name, allocSummary(run))
			}
			seen[a.Name] = true
			perNode[a.NodeName] += w.taskMem
		}
		w.running += len(run)
		if n := sleeperProcs(w.secs[k]); n != want {
			return fmt.Errorf("job %s: %d task processes on the clients, want %d (allocations %s)", k, n, want, allocSummary(allocs))
		}
	}
	for name, used := range perNode {
		if used > nodeMem[name] {
			return fmt.Errorf("node %s holds %d MB of allocations, more than its %d MB", name, used, nodeMem[name])
		}
	}
	return nil
}

// oneLeader returns the leader all servers name.
func (w *workload) oneLeader() (*dockerAgent, error) {
	var first string
	for _, s := range w.d.servers {
		l, err := s.api.leader()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", s.name, err)
		}
		if l == "" || (first != "" && l != first) {
			return nil, fmt.Errorf("%s names leader %q, another server %q", s.name, l, first)
		}
		first = l
	}
	for _, s := range w.d.servers {
		if s.rpcAddr() == first {
			return s, nil
		}
	}
	return nil, fmt.Errorf("the leader %q is none of the servers", first)
}

// sameState compares the servers' own job and allocation listings and the
// Raft index they answer at.
func (w *workload) sameState() error {
	var firstName, first string
	for _, s := range w.d.servers {
		var parts []string
		for _, path := range []string{"/v1/jobs?stale", "/v1/allocations?stale"} {
			idx, body, err := getWithIndex(s.ip, path)
			if err != nil {
				return fmt.Errorf("%s: %v", s.name, err)
			}
			parts = append(parts, fmt.Sprintf("%s@%d:%s", path, idx, body))
		}
		state := strings.Join(parts, "\n")
		if firstName == "" {
			firstName, first = s.name, state
			continue
		}
		if state != first {
			return fmt.Errorf("state of %s differs from %s's:\n%s\n%s", s.name, firstName, truncate(state, 600), truncate(first, 600))
		}
	}
	return nil
}

// getWithIndex reads a list and returns its index header and a canonical
// (sorted) rendering of its items.
func getWithIndex(ip, path string) (uint64, string, error) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + ip + ":6060" + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	idx, err := strconv.ParseUint(resp.Header.Get("X-Appmesh-Index"), 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("GET %s: index header %q: %v", path, resp.Header.Get("X-Appmesh-Index"), err)
	}
	var items []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return 0, "", fmt.Errorf("GET %s: %v", path, err)
	}
	var rows []string
	for _, it := range items {
		b, _ := json.Marshal(it) // map keys are sorted
		rows = append(rows, string(b))
	}
	sort.Strings(rows)
	return idx, strings.Join(rows, "\n"), nil
}

// sleeperProcs counts the live `/sleeper secs` processes on the host (the
// client containers' tasks are the host's processes).
func sleeperProcs(secs int) int {
	want := strconv.Itoa(secs)
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(argv) >= 2 && argv[1] == want && filepath.Base(argv[0]) == "sleeper" {
			n++
		}
	}
	return n
}
