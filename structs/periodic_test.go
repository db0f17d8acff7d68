package structs

import (
	"strings"
	"testing"
	"time"
)

func rfcTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPeriodicNext(t *testing.T) {
	cases := []struct {
		name  string
		p     PeriodicConfig
		after string
		want  string
	}{
		{"every 2 seconds", PeriodicConfig{Crons: []string{"*/2 * * * * *"}}, "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"},
		{"seconds field", PeriodicConfig{Crons: []string{"30 0 * * * *"}}, "2026-01-01T00:00:30Z", "2026-01-01T01:00:30Z"},
		{"earliest of two", PeriodicConfig{Crons: []string{"0 0 3 * * *", "0 0 2 * * *"}}, "2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z"},
		{"time zone", PeriodicConfig{Crons: []string{"0 0 2 * * *"}, TimeZone: "Europe/Berlin"}, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"},
		{"time zone summer", PeriodicConfig{Crons: []string{"0 0 2 * * *"}, TimeZone: "Europe/Berlin"}, "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"},
		{"descriptor", PeriodicConfig{Crons: []string{"@hourly"}}, "2026-01-01T00:10:00Z", "2026-01-01T01:00:00Z"},
		{"interval", PeriodicConfig{Interval: Duration(90 * time.Second)}, "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.p.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			got, err := c.p.Next(rfcTime(t, c.after))
			if err != nil {
				t.Fatal(err)
			}
			if want := rfcTime(t, c.want); !got.Equal(want) {
				t.Fatalf("next after %s = %s, want %s", c.after, got.UTC().Format(time.RFC3339), c.want)
			}
		})
	}
}

func TestPeriodicLatestDue(t *testing.T) {
	p := PeriodicConfig{Crons: []string{"0 */5 * * * *"}}
	base := rfcTime(t, "2026-01-01T00:00:00Z")
	due, err := p.LatestDue(base, rfcTime(t, "2026-01-01T00:17:00Z"))
	if err != nil || !due.Equal(rfcTime(t, "2026-01-01T00:15:00Z")) {
		t.Fatalf("latest due = %s, %v; want 00:15:00", due, err)
	}
	due, _ = p.LatestDue(base, rfcTime(t, "2026-01-01T00:04:59Z"))
	if !due.IsZero() {
		t.Fatalf("nothing should be due yet, got %s", due)
	}
	iv := PeriodicConfig{Interval: Duration(10 * time.Second)}
	due, _ = iv.LatestDue(base, base.Add(35*time.Second))
	if !due.Equal(base.Add(30 * time.Second)) {
		t.Fatalf("interval latest due = %s, want base+30s", due)
	}
}

func TestPeriodicValidate(t *testing.T) {
	cases := []struct {
		p    PeriodicConfig
		want string
	}{
		{PeriodicConfig{}, "one of crons or interval"},
		{PeriodicConfig{Crons: []string{"* * * * * *"}, Interval: Duration(time.Minute)}, "exclusive"},
		{PeriodicConfig{Crons: []string{"*/5 * * *"}}, "is invalid"},
		{PeriodicConfig{Crons: []string{"0 61 * * * *"}}, "is invalid"},
		{PeriodicConfig{Interval: Duration(time.Millisecond)}, "too short"},
		{PeriodicConfig{Interval: Duration(time.Minute), TimeZone: "Mars/Olympus"}, "not a known time zone"},
		{PeriodicConfig{Crons: []string{"0 0 0 30 2 *"}}, "never fires"},
	}
	for _, c := range cases {
		err := c.p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to mention %q", c.p, err, c.want)
		}
	}
}

func TestJobScheduleValidateAndRunnable(t *testing.T) {
	j := &Job{ID: "x", Type: JobTypeService, Periodic: &PeriodicConfig{Interval: Duration(time.Minute)},
		StartTime: "tomorrow", EndTime: "2026-01-01T00:00:00Z"}
	v := &ValidationError{}
	j.validateSchedule(v)
	msg := v.Error()
	for _, want := range []string{"must be of type batch", "start_time", "RFC 3339"} {
		if !strings.Contains(msg, want) {
			t.Errorf("validation %q does not mention %q", msg, want)
		}
	}
	j = &Job{ID: "x", StartTime: "2026-01-01T00:00:00Z", EndTime: "2026-01-02T00:00:00+01:00"}
	for _, c := range []struct {
		at string
		ok bool
	}{{"2025-12-31T23:59:59Z", false}, {"2026-01-01T00:00:00Z", true}, {"2026-01-01T22:59:59Z", true}, {"2026-01-01T23:00:00Z", false}} {
		if ok, why := j.RunnableAt(rfcTime(t, c.at)); ok != c.ok {
			t.Errorf("runnable at %s = %v (%s), want %v", c.at, ok, why, c.ok)
		}
	}
	if ok, _ := (&Job{ID: "p", Parameterized: &ParameterizedConfig{}}).RunnableAt(time.Now()); ok {
		t.Error("a parameterized parent must never be runnable itself")
	}
}

func TestValidateDispatch(t *testing.T) {
	p := &ParameterizedConfig{Payload: DispatchPayloadRequired, MetaRequired: []string{"user"}, MetaOptional: []string{"mode"}}
	cases := []struct {
		payload []byte
		meta    map[string]string
		want    string
	}{
		{nil, map[string]string{"user": "a"}, "payload is required"},
		{[]byte("x"), nil, `meta key "user" is required`},
		{[]byte("x"), map[string]string{"user": "a", "zzz": "1"}, `meta key "zzz" is not allowed`},
		{make([]byte, DispatchPayloadSizeLimit+1), map[string]string{"user": "a"}, "more than the limit"},
	}
	for _, c := range cases {
		err := p.ValidateDispatch(c.payload, c.meta)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dispatch error %v, want it to mention %q", err, c.want)
		}
	}
	if err := p.ValidateDispatch([]byte("x"), map[string]string{"user": "a", "mode": "m"}); err != nil {
		t.Errorf("valid dispatch rejected: %v", err)
	}
	f := &ParameterizedConfig{Payload: DispatchPayloadForbidden}
	if err := f.ValidateDispatch([]byte("x"), nil); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("forbidden payload: error %v", err)
	}
}

// Nomad and crontab write five fields; the seconds field is optional.
func TestPeriodicFiveFieldCron(t *testing.T) {
	p := &PeriodicConfig{Crons: []string{"*/5 * * * *"}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	next, err := p.nextFunc()
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 10, 2, 30, 0, time.UTC)
	if got := next(from); !got.Equal(time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("next launch of */5 after 10:02:30 is %v, want 10:05:00", got)
	}
}
