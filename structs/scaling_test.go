package structs

import (
	"strings"
	"testing"
	"time"
)

func TestScalingPolicyValidate(t *testing.T) {
	n := func(i int) *int { return &i }
	cases := []struct {
		p     *ScalingPolicy
		count int
		want  string // "" means valid
	}{
		{&ScalingPolicy{Min: n(1), Max: n(5)}, 3, ""},
		{&ScalingPolicy{Max: n(5)}, 3, ""},
		{&ScalingPolicy{Min: n(1)}, 3, "max is required"},
		{&ScalingPolicy{Min: n(4), Max: n(2)}, 3, "min (4) must not be greater than max (2)"},
		{&ScalingPolicy{Min: n(1), Max: n(2)}, 3, "count 3 is outside min 1 and max 2"},
		{&ScalingPolicy{Min: n(-1), Max: n(2)}, 1, "min must not be negative"},
	}
	for _, c := range cases {
		err := c.p.Validate(c.count)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v count %d: %v, want %q", c.p, c.count, err, c.want)
		}
	}
}

func TestMigrateStrategyValidate(t *testing.T) {
	one := 1
	ok := &MigrateStrategy{MaxParallel: &one, HealthCheck: "checks", MinHealthyTime: Duration(10 * time.Second), HealthyDeadline: Duration(5 * time.Minute)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := &MigrateStrategy{HealthCheck: "manual", MinHealthyTime: Duration(time.Minute), HealthyDeadline: Duration(time.Second)}
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), `health_check "manual" is invalid`) || !strings.Contains(err.Error(), "must be shorter than healthy_deadline") {
		t.Fatalf("got %v", err)
	}
}

func TestGroupServiceCheckTask(t *testing.T) {
	group := func(c *Check) *TaskGroup {
		return &TaskGroup{Name: "g", Count: 1,
			Network:  &NetworkResource{Ports: []*Port{{Label: "http"}}},
			Services: []*Service{{Name: "api", Port: "http", Checks: []*Check{c}}},
			Tasks:    []*Task{{Name: "web", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"}}}}
	}
	job := &Job{ID: "j"}
	cases := []struct {
		c    *Check
		want string
	}{
		{&Check{Type: CheckTypeScript, Command: "/bin/true", Task: "web", OnUpdate: "ignore_warnings"}, ""},
		{&Check{Type: CheckTypeScript, Command: "/bin/true"}, `needs task = "<task>"`},
		{&Check{Type: CheckTypeScript, Command: "/bin/true", Task: "db"}, `task "db" is not a task of the group`},
		{&Check{Type: CheckTypeTCP, Task: "web"}, "task is only for script checks"},
		{&Check{Type: CheckTypeTCP, OnUpdate: "sometimes"}, `on_update "sometimes" is invalid`},
		{&Check{Type: CheckTypeTCP, Expose: true}, "expose (a check reached through the sidecar proxy) is not supported"},
	}
	for _, tc := range cases {
		g := group(tc.c)
		g.Canonicalize(job)
		err := g.Validate(job)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
