package command

import (
	"strings"
	"testing"
)

// A remote run is privileged unless it is an exec run as a user other
// than root: -user is what lets a run need no more than submit-job.
func TestRunJobPrivilege(t *testing.T) {
	cases := []struct {
		driver, user string
		want         string // "" unprivileged, else part of a reason
	}{
		{"exec", "nobody", ""},
		{"exec", "", "sets no user"},
		{"exec", "root", `runs as user "root"`},
		{"raw_exec", "nobody", "uses the raw_exec driver"},
	}
	for _, c := range cases {
		job := runJob([]string{"id"}, c.driver, c.user, nil, false)
		if job.Groups[0].Tasks[0].User != c.user {
			t.Fatalf("task user %q, want %q", job.Groups[0].Tasks[0].User, c.user)
		}
		reasons := job.PrivilegedReasons()
		got := strings.Join(reasons, "; ")
		switch {
		case c.want == "" && len(reasons) > 0:
			t.Errorf("%s as %q: privileged: %s", c.driver, c.user, got)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("%s as %q: reasons %q lack %q", c.driver, c.user, got, c.want)
		case c.want != "" && !strings.HasPrefix(got, `remote run "run-`):
			t.Errorf("reasons %q should name the remote run", got)
		}
	}
}
