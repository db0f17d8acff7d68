package taskrunner

import (
	"os"
	"os/user"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func TestPolicyCheck(t *testing.T) {
	docker := func(cfg map[string]any) *structs.Task {
		cfg["image"] = "alpine"
		return &structs.Task{Name: "c", Driver: "docker", Config: cfg}
	}
	cases := []struct {
		name   string
		policy *Policy
		task   *structs.Task
		want   string // "" allowed, else a part of the error
	}{
		{"no policy", nil, &structs.Task{Driver: "raw_exec", User: "root"}, ""},
		{"empty denylist allows root", &Policy{}, &structs.Task{Driver: "exec", User: "root"}, ""},
		{"denied user", &Policy{UserDenylist: []string{"root"}}, &structs.Task{Driver: "exec", User: "root"},
			`user "root" is forbidden by this client's user_denylist ("root")`},
		{"denied by uid", &Policy{UserDenylist: []string{"root"}}, &structs.Task{Driver: "raw_exec", User: "0"},
			`user "0" is forbidden by this client's user_denylist ("root")`},
		{"uid entry denies the name", &Policy{UserDenylist: []string{"0"}}, &structs.Task{Driver: "exec", User: "root"},
			`user_denylist ("0")`},
		{"other user allowed", &Policy{UserDenylist: []string{"root"}}, &structs.Task{Driver: "exec", User: "nobody"}, ""},
		{"no user runs as the agent's", &Policy{UserDenylist: []string{"root"}, AgentUser: "root"}, &structs.Task{Driver: "exec"},
			`the task sets no user, so it would run as the client agent's user "root"`},
		{"no user, agent not denied", &Policy{UserDenylist: []string{"root"}, AgentUser: "appmesh"}, &structs.Task{Driver: "raw_exec"}, ""},
		{"docker user is the container's", &Policy{UserDenylist: []string{"root"}}, &structs.Task{Driver: "docker", User: "root", Config: map[string]any{"image": "x"}}, ""},
		{"docker privileged off", &Policy{}, docker(map[string]any{"privileged": true}), "docker_privileged_enabled = true allows them"},
		{"docker privileged on", &Policy{DockerPrivilegedEnabled: true}, docker(map[string]any{"privileged": true}), ""},
		{"docker bind off", &Policy{}, docker(map[string]any{"volumes": []any{"/etc:/e"}}), `host path "/etc"`},
		{"docker bind on", &Policy{DockerVolumesEnabled: true}, docker(map[string]any{"volumes": []any{"/etc:/e"}}), ""},
		{"docker named volume", &Policy{}, docker(map[string]any{"volumes": []any{"data:/data"}}), ""},
		{"exec unisolated off", &Policy{}, &structs.Task{Driver: "exec", User: "nobody", Config: map[string]any{"isolation": "none"}},
			`isolation = "none"`},
		{"exec unisolated with raw_exec on", &Policy{RawExecEnabled: true}, &structs.Task{Driver: "exec", User: "nobody", Config: map[string]any{"isolation": "none"}}, ""},
		{"exec chroot is the default", &Policy{}, &structs.Task{Driver: "exec", User: "nobody", Config: map[string]any{"isolation": "chroot"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.policy.Check(c.task)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("allowed, want an error containing %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// A task the client's policy forbids fails at once with a Not Permitted
// event naming the setting, and is not restarted even though its restart
// policy would allow it.
func TestTaskRunner_NotPermittedIsFinal(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "group"}
	dir, err := allocdir.New(t.TempDir(), alloc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Build(); err != nil {
		t.Fatal(err)
	}
	marker := dir.TaskDir("web") + "/ran"
	task := &structs.Task{Name: "web", Driver: rawexec.Name,
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", "touch " + marker}}}
	attempts := 5
	tr, err := New(&Config{Alloc: alloc, Task: task, AllocDir: dir, Drivers: oneDriver{rawexec.New(logger)}, Logger: logger,
		JobType: structs.JobTypeService,
		Restart: &structs.RestartPolicy{Attempts: &attempts, Interval: structs.Duration(time.Minute), Mode: structs.RestartModeFail},
		Policy:  &Policy{UserDenylist: []string{me.Username}}})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	if s.State != structs.TaskStateDead || !s.Failed || s.Restarts != 0 || s.Starts != 0 {
		t.Fatalf("state %q failed %v restarts %d starts %d, want dead, failed, never started", s.State, s.Failed, s.Restarts, s.Starts)
	}
	ev := hasEvent(s, structs.TaskEventNotPermitted)
	if ev == nil || !strings.Contains(ev.Message, "user_denylist") || !strings.Contains(ev.Message, me.Username) {
		t.Fatalf("want a Not Permitted event naming user_denylist and %q, got %+v", me.Username, s.Events)
	}
	t.Logf("event: %s", ev.Message)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the task ran")
	}
}
