package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRemoteAllocOperations checks that any agent serves logs, exec and
// stats of an allocation on another node: the servers reach the node's
// client over the connection it opened (clients have no inbound port).
func TestRemoteAllocOperations(t *testing.T) {
	t.Parallel()
	// Three servers: each client is connected to one of them, so calls
	// through the others must be relayed server to server.
	_, servers, c1, c2, secs := serversAndTwoClients(t, 3, 3000)

	job := execJob("remote", "service", 1, 32, "/bin/sh", "-c", fmt.Sprintf("echo remote-hello; exec sleep %d", secs))
	if err := servers[0].api.register(job); err != nil {
		t.Fatal(err)
	}
	var a alloc
	waitFor(t, 30*time.Second, "the allocation running", func() error {
		allocs, err := servers[0].api.jobAllocs("remote")
		if err != nil {
			return err
		}
		if r := running(allocs); len(r) == 1 {
			a = r[0]
			return nil
		}
		return fmt.Errorf("allocations: %s", allocSummary(allocs))
	}, nil)
	other := c2
	if a.NodeName == "c2" {
		other = c1
	}

	for _, via := range append(append([]*procAgent{}, servers...), other) {
		out, err := cli(t, via, "alloc", "logs", a.ID)
		if err != nil || !strings.Contains(out, "remote-hello") {
			t.Fatalf("alloc logs through %s: %v\n%s", via.name, err, out)
		}
		out, err = cli(t, via, "alloc", "exec", a.ID, "--", "/bin/echo", "exec-through-"+via.name)
		if err != nil || !strings.Contains(out, "exec-through-"+via.name) {
			t.Fatalf("alloc exec through %s: %v\n%s", via.name, err, out)
		}
		// Interactive, on the user's terminal: the window size, the typed
		// line and the exit code cross every relay.
		r := cliOnPTY(t, via, "31 93", "typed-through-"+via.name+"\r",
			"alloc", "exec", "-i", "-t", a.ID, "--", "/bin/sh", "-c", "tty; stty size; read x; echo got:$x; exit 7")
		if r.code != 7 || !strings.Contains(r.out, "/dev/pts/") || !strings.Contains(r.out, "got:typed-through-"+via.name) {
			t.Fatalf("alloc exec -i -t through %s: exit %d, output %q", via.name, r.code, r.out)
		}
		out, err = cli(t, via, "alloc", "status", "-stats", a.ID)
		if err != nil || !strings.Contains(strings.ToLower(out), "memory") {
			t.Fatalf("alloc status -stats through %s: %v\n%s", via.name, err, out)
		}
	}
}
