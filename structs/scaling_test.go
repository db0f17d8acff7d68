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
