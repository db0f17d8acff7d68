package structs

import "testing"

// A failing check with on_update = "ignore" does not make the allocation
// unhealthy for deployments; with require_healthy (or ignore_warnings,
// appmesh checks having no warning state) it does.
func TestDeploymentHealth_OnUpdate(t *testing.T) {
	for _, tc := range []struct {
		onUpdate string
		want     *bool
	}{
		{"", boolp(false)},
		{CheckOnUpdateRequireHealthy, boolp(false)},
		{CheckOnUpdateIgnoreWarnings, boolp(false)},
		{CheckOnUpdateIgnore, boolp(true)},
	} {
		g := &TaskGroup{Name: "g", Tasks: []*Task{{Name: "t", Checks: []*Check{
			{Name: "ok", Type: CheckTypeTCP, Port: "1"},
			{Name: "flaky", Type: CheckTypeTCP, Port: "2", OnUpdate: tc.onUpdate},
		}}}}
		states := map[string]*TaskState{"t": {State: TaskStateRunning, Health: HealthUnhealthy, Checks: []*CheckStatus{
			{Name: "ok", Status: HealthHealthy}, {Name: "flaky", Status: HealthUnhealthy}}}}
		got := DeploymentHealth(g, states)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("on_update %q: health %v, want %v", tc.onUpdate, got, *tc.want)
		}
		wantCount := 2
		if tc.onUpdate == CheckOnUpdateIgnore {
			wantCount = 1
		}
		if n := DeploymentChecks(g); n != wantCount {
			t.Errorf("on_update %q: %d deployment checks, want %d", tc.onUpdate, n, wantCount)
		}
	}
	bad := &Check{Type: CheckTypeTCP, Port: "1", OnUpdate: "sometimes"}
	if err := bad.Validate(); err == nil {
		t.Fatal("a task check with on_update \"sometimes\" validated")
	}
}

func boolp(b bool) *bool { return &b }
