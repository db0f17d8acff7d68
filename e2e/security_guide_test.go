package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecurityGuide runs every `sh` block of website/security.md, in order,
// in one bash script against a real agent started with -acl-enabled, with
// `appmesh` on the PATH as a reader would have it. A line starting with
// "! " must fail (a refusal the guide promises). A block preceded by
// <!-- doc-test: skip ... --> is the agent start the test does itself.
func TestSecurityGuide(t *testing.T) {
	script := guideScript(t, filepath.Join("..", "website", "security.md"))
	script = guidePorts(t, script)
	ports := freePorts(t, 3)
	dir := traversableTempDir(t)
	agentLog := &lockedBuffer{}
	cmd := exec.Command(appmeshBin, "agent", "-dev", "-acl-enabled",
		"-data-dir", filepath.Join(dir, "data"),
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]), "-gossip-port", strconv.Itoa(ports[2]),
		"-node", "guide", "-log-level", "DEBUG")
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = agentLog, agentLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Stopped as an operator would, so that it takes its driver plugins
	// with it; a SIGKILL would leave them for their idle grace.
	t.Cleanup(func() {
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			t.Logf("guide agent did not exit %s after SIGTERM; killing it", stopTimeout)
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(agentLog.String(), "cluster leadership acquired") || !strings.Contains(agentLog.String(), "HTTP API listening") {
		if time.Now().After(deadline) {
			t.Fatalf("agent did not become ready:\n%s", agentLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	binDir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(appmeshBin, filepath.Join(binDir, "appmesh")); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	// The guide starts agents of its own in the background (the TLS
	// part); whatever it leaves running when it fails is stopped here.
	t.Cleanup(func() { killGuideAgents(t, work) })
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	sh.Dir = work
	sh.Env = append(cleanEnv(),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		fmt.Sprintf("APPMESH_ADDR=http://127.0.0.1:%d", ports[0]))
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the guide's commands failed: %v\n--- script ---\n%s\n--- output ---\n%s\n--- agent log tail ---\n%s",
			err, script, out, tail(agentLog.String(), 4000))
	}
	t.Logf("ran website/security.md:\n%s", out)
	// The guide's claims, checked on its output.
	for _, want := range []string{"Secret ID", "dev-write", "developers", "Refresh Token", "New signing key", "otpauth://totp/"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("guide output lacks %q", want)
		}
	}
}

// guideScript turns the page's sh blocks into one script. Each command runs
// echoed (so a failure shows where), and "! cmd" lines become an explicit
// check that cmd fails.
func guideScript(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	inBlock, skip, blocks := false, false, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "<!-- doc-test: skip"):
			skip = true
		case !inBlock && line == "```sh":
			inBlock = true
			if !skip {
				blocks++
			}
		case inBlock && line == "```":
			inBlock, skip = false, false
		case inBlock && !skip:
			if cmd, ok := strings.CutPrefix(line, "! "); ok {
				fmt.Fprintf(&b, "echo '$ ! '%q\nif %s; then echo 'expected a refusal, but it worked: %s' >&2; exit 1; fi\n", cmd, cmd, strings.ReplaceAll(cmd, "'", ""))
				continue
			}
			b.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if blocks < 5 {
		t.Fatalf("found only %d sh blocks in %s", blocks, path)
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// guidePorts replaces the ports the guide's TLS part gives its own agents
// (766x/767x/764x for the servers, 7656 and 7686 for the client nodes) with free ones, so
// that the test never collides with another agent on the machine.
func guidePorts(t *testing.T, script string) string {
	t.Helper()
	// Three servers (http, rpc, gossip) and two clients (http).
	ports := []string{"7646", "7647", "7648", "7666", "7667", "7668", "7676", "7677", "7678", "7656", "7686"}
	free := freePorts(t, len(ports))
	pairs := make([]string, 0, 2*len(ports))
	for i, p := range ports {
		if !strings.Contains(script, p) {
			t.Fatalf("the guide no longer uses port %s: update guidePorts", p)
		}
		pairs = append(pairs, p, strconv.Itoa(free[i]))
	}
	// One pass: a free port put in for one number must not be matched by
	// the next (37666 holds 7666).
	return strings.NewReplacer(pairs...).Replace(script)
}

// killGuideAgents stops the agents the guide started (their pids are in
// *.pid files in its working directory).
func killGuideAgents(t *testing.T, work string) {
	files, _ := filepath.Glob(filepath.Join(work, "*.pid"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 1 {
			continue
		}
		// Only if the pid is still that agent (a pid can be reused).
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.Contains(string(cmdline), "agent\x00-config\x00") {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
			t.Logf("stopped agent %d the guide left running (%s)", pid, filepath.Base(f))
		}
	}
	// Their driver plugins, launched detached.
	for _, p := range findPluginProcs(work) {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}
