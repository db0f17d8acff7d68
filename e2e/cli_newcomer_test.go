package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLINewcomer is what a Nomad user types in the first hour, against a
// real agent: help, typos, flags after arguments, plan exit codes, stop
// counts, ports, node allocations and drain, dispatch meta in the task.
func TestCLINewcomer(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})

	t.Run("help and typos", func(t *testing.T) {
		if res := runCLI(t, "help", "job", "run"); res.code != 0 || !strings.Contains(res.stdout+res.stderr, "Usage: appmesh job run") {
			t.Errorf("appmesh help job run: want the command's help and exit 0, got %s", res)
		}
		if res := runCLI(t, "jbo", "status"); res.code != 2 || !strings.Contains(res.stderr, `Unknown command "jbo". Did you mean "job"?`) {
			t.Errorf("appmesh jbo: want an unknown-command error naming job, got %s", res)
		}
		if res := runCLI(t, "job", "stauts"); res.code != 2 || !strings.Contains(res.stderr, `Did you mean "job status"?`) {
			t.Errorf("appmesh job stauts: want a suggestion of job status, got %s", res)
		}
	})

	sec, marker := taskSleep(82)
	a.track(marker)
	jobFile := writeFile(t, "web.hcl", fmt.Sprintf(`job "web" {
  group "g" {
    network { port "http" {} }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
    }
  }
}
`, sec))

	t.Run("plan exit codes", func(t *testing.T) {
		if res := a.cli("job plan", jobFile); res.code != 1 {
			t.Errorf("plan of a new job: exit %d, want 1 (changes)\n%s", res.code, res)
		}
		if res := a.cli("job run", jobFile); res.code != 0 {
			t.Fatalf("job run: %s", res)
		}
		if res := a.cli("job plan", jobFile); res.code != 0 {
			t.Errorf("plan of an unchanged job: exit %d, want 0\n%s", res.code, res)
		}
		if res := a.cli("job plan", filepath.Join(t.TempDir(), "missing.hcl")); res.code != 255 {
			t.Errorf("plan of a missing file: exit %d, want 255\n%s", res.code, res)
		}
	})

	t.Run("flags after arguments", func(t *testing.T) {
		res := runCLI(t, "job", "status", "web", "-json", "-address", a.addr)
		if res.code != 0 || !strings.Contains(res.stdout, `"job"`) {
			t.Errorf("job status web -json -address ...: want the JSON status, got %s", res)
		}
	})

	var allocID string
	t.Run("alloc status ports", func(t *testing.T) {
		allocs := a.waitAllocs("web", "a running allocation", func(al []alloc) (bool, string) {
			return countStatus(al, "run", "running") == 1, describeAllocs(al)
		})
		for _, al := range allocs {
			if al.DesiredStatus == "run" {
				allocID = al.ID
			}
		}
		res := a.cli("alloc status", allocID)
		if res.code != 0 || !regexp.MustCompile(`(?m)^http\s+\d+\s`).MatchString(res.stdout) || !strings.Contains(res.stdout, "Allocated Ports") {
			t.Errorf("alloc status: want an Allocated Ports table with http, got %s", res)
		}
	})

	t.Run("node status allocations and drain", func(t *testing.T) {
		node := "e2e-" + sanitize(t.Name()[:strings.Index(t.Name(), "/")])
		res := a.cli("node status", node)
		if res.code != 0 || !strings.Contains(res.stdout, shortID(allocID)) || !regexp.MustCompile(`Drain\s+= false`).MatchString(res.stdout) {
			t.Errorf("node status %s: want its allocation %s and Drain = false, got %s", node, shortID(allocID), res)
		}
	})

	t.Run("job stop counts live allocations", func(t *testing.T) {
		res := a.cli("job stop", "web")
		if res.code != 0 || !strings.Contains(res.stdout, "1 allocation(s) stopped") {
			t.Errorf("first stop: %s", res)
		}
		res = a.cli("job stop", "web")
		if res.code != 0 || !strings.Contains(res.stdout, "already stopped") || strings.Contains(res.stdout, "allocation(s) stopped") {
			t.Errorf("second stop: want \"already stopped\", got %s", res)
		}
	})

	t.Run("dispatch meta reaches the task", func(t *testing.T) {
		dir := traversableTempDir(t)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "meta")
		job := writeFile(t, "render.hcl", fmt.Sprintf(`job "render" {
  type = "batch"
  parameterized { meta_required = ["scene"] }
  group "r" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo scene=$APPMESH_META_SCENE > %s"]
      }
    }
  }
}
`, out))
		if res := a.cli("job run", job); res.code != 0 {
			t.Fatalf("job run render: %s", res)
		}
		if res := a.cli("job dispatch", "-meta", "scene=intro", "render"); res.code != 0 {
			t.Fatalf("job dispatch: %s", res)
		}
		a.waitFor("the dispatched task's output", func() (bool, string) {
			b, err := os.ReadFile(out)
			return err == nil && strings.TrimSpace(string(b)) == "scene=intro", fmt.Sprintf("%q %v", b, err)
		})
	})
}

// TestAgentConfigOneLineBlocks: the agent config accepts the one-line
// blocks job files accept, and lists every problem of a bad file.
func TestAgentConfigOneLineBlocks(t *testing.T) {
	cfg := writeFile(t, "agent.hcl", "server { enabled = true  num_schedulers = 1 }\nclient { enabled = true  raw_exec_enabled = true }\n")
	startAgent(t, agentOptions{config: cfg})

	bad := writeFile(t, "bad.hcl", "server { enabled = true  bogus = 1 }\nclient { enabled = true  nope = 2 }\n")
	res := startupRun(t, t.TempDir(), "-dev", "-config", bad)
	if res.code != 1 || !strings.Contains(res.stderr, `"bogus"`) || !strings.Contains(res.stderr, `"nope"`) ||
		strings.Contains(res.stderr, "other diagnostic") {
		t.Errorf("bad config: want both problems listed, got %s", res)
	}
	badJSON := writeFile(t, "bad.json", `{"server": {"enabled": true, "bogus": 1}, "client": {"nope": 2}}`)
	res = startupRun(t, t.TempDir(), "-dev", "-config", badJSON)
	if res.code != 1 || !strings.Contains(res.stderr, `"bogus"`) || !strings.Contains(res.stderr, `"nope"`) ||
		strings.Contains(res.stderr, "other diagnostic") {
		t.Errorf("bad JSON config: want both problems listed, got %s", res)
	}
}
