package structs

import (
	"strings"
	"testing"
)

func TestAllocHealth(t *testing.T) {
	checked := func(h string) *TaskState { return &TaskState{Health: h, Checks: []*CheckStatus{{Name: "c"}}} }
	cases := []struct {
		name   string
		states map[string]*TaskState
		want   string // "nil", "true", "false"
	}{
		{"no checks", map[string]*TaskState{"a": {}}, "nil"},
		{"all healthy", map[string]*TaskState{"a": checked(HealthHealthy), "b": {}}, "true"},
		{"one unhealthy", map[string]*TaskState{"a": checked(HealthHealthy), "b": checked(HealthUnhealthy)}, "false"},
		{"one unknown", map[string]*TaskState{"a": checked(HealthHealthy), "b": checked("")}, "nil"},
	}
	for _, tc := range cases {
		got := "nil"
		if h := AllocHealth(tc.states); h != nil {
			got = map[bool]string{true: "true", false: "false"}[*h]
		}
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestCheckValidate(t *testing.T) {
	bad := []struct {
		c    Check
		want string
	}{
		{Check{Type: "ping"}, `type "ping" is invalid`},
		{Check{Type: CheckTypeScript}, "command is required"},
		{Check{Type: CheckTypeHTTP}, "port is required for a http check"},
		{Check{Type: CheckTypeTCP, Port: "70000"}, "port 70000 is out of range"},
		{Check{Type: CheckTypeHTTP, Port: "http", Protocol: "gopher"}, `protocol "gopher" is invalid`},
		{Check{Type: CheckTypeTCP, Port: "db", CheckRestart: &CheckRestart{Limit: -1}}, "limit and grace must not be negative"},
	}
	for _, tc := range bad {
		err := tc.c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v; want %q", tc.c, err, tc.want)
		}
	}
	v := &ValidationError{}
	validateChecks(v, []*Check{{Type: CheckTypeTCP, Port: "1"}, {Type: CheckTypeTCP, Port: "2"}, {Name: "tcp-1", Type: CheckTypeTCP, Port: "3"}})
	if err := v.ErrorOrNil(); err == nil || !strings.Contains(err.Error(), `name "tcp-1" is used by more than one check`) {
		t.Fatalf("duplicate names: %v", err)
	}
}
