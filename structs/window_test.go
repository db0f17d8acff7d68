package structs

import (
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("load zone %q: %v", zone, err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDailyWindow_NextOpenClose(t *testing.T) {
	const berlin = "Europe/Berlin"
	day := &DailyWindow{Start: "09:00", End: "18:00", TimeZone: berlin}
	night := &DailyWindow{Start: "22:00", End: "06:00:30", TimeZone: berlin}
	utc := &DailyWindow{Start: "09:00", End: "18:00"}
	cases := []struct {
		name      string
		w         *DailyWindow
		at        string // in the window's zone
		in        bool
		open, cls string // next open / close, in the window's zone
	}{
		{"before open", day, "2026-06-01 08:00:00", false, "2026-06-01 09:00:00", "2026-06-01 18:00:00"},
		{"at open", day, "2026-06-01 09:00:00", true, "2026-06-02 09:00:00", "2026-06-01 18:00:00"},
		{"inside", day, "2026-06-01 12:00:00", true, "2026-06-02 09:00:00", "2026-06-01 18:00:00"},
		{"at close", day, "2026-06-01 18:00:00", false, "2026-06-02 09:00:00", "2026-06-02 18:00:00"},
		{"after close", day, "2026-06-01 23:59:59", false, "2026-06-02 09:00:00", "2026-06-02 18:00:00"},
		{"year end", day, "2026-12-31 19:00:00", false, "2027-01-01 09:00:00", "2027-01-01 18:00:00"},
		{"night before open", night, "2026-06-01 21:00:00", false, "2026-06-01 22:00:00", "2026-06-02 06:00:30"},
		{"night late evening", night, "2026-06-01 23:00:00", true, "2026-06-02 22:00:00", "2026-06-02 06:00:30"},
		{"night after midnight", night, "2026-06-02 03:00:00", true, "2026-06-02 22:00:00", "2026-06-02 06:00:30"},
		{"night just closed", night, "2026-06-02 06:00:30", false, "2026-06-02 22:00:00", "2026-06-03 06:00:30"},
		// Spring forward (2026-03-29 02:00 CET -> 03:00 CEST): the morning
		// opening is at 09:00 CEST, 07:00 UTC; the night window is an hour shorter.
		{"dst spring day", day, "2026-03-28 20:00:00", false, "2026-03-29 09:00:00", "2026-03-29 18:00:00"},
		{"dst spring night", night, "2026-03-29 01:30:00", true, "2026-03-29 22:00:00", "2026-03-29 06:00:30"},
		// Fall back (2026-10-25 03:00 CEST -> 02:00 CET).
		{"dst fall day", day, "2026-10-24 20:00:00", false, "2026-10-25 09:00:00", "2026-10-25 18:00:00"},
		{"dst fall night", night, "2026-10-24 23:00:00", true, "2026-10-25 22:00:00", "2026-10-25 06:00:30"},
		{"utc default", utc, "2026-06-01 08:59:59", false, "2026-06-01 09:00:00", "2026-06-01 18:00:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			zone := tc.w.TimeZone
			if zone == "" {
				zone = "UTC"
			}
			at := mustTime(t, zone, tc.at)
			in, err := tc.w.Contains(at)
			if err != nil || in != tc.in {
				t.Errorf("Contains(%s) = %v, %v; want %v", tc.at, in, err, tc.in)
			}
			open, err := tc.w.NextOpen(at)
			if want := mustTime(t, zone, tc.open); err != nil || !open.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, %v; want %s", tc.at, open, err, want)
			}
			cls, err := tc.w.NextClose(at)
			if want := mustTime(t, zone, tc.cls); err != nil || !cls.Equal(want) {
				t.Errorf("NextClose(%s) = %s, %v; want %s", tc.at, cls, err, want)
			}
		})
	}
}

func TestDailyWindow_DSTInstants(t *testing.T) {
	w := &DailyWindow{Start: "09:00", End: "18:00", TimeZone: "Europe/Berlin"}
	open, err := w.NextOpen(time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC))
	if err != nil || !open.Equal(time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("open after spring forward = %s, %v; want 07:00 UTC", open.UTC(), err)
	}
	open, err = w.NextOpen(time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC))
	if err != nil || !open.Equal(time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("open after fall back = %s, %v; want 08:00 UTC", open.UTC(), err)
	}
	// A night window over the spring-forward night lasts 7 hours, not 8.
	n := &DailyWindow{Start: "22:00", End: "06:00", TimeZone: "Europe/Berlin"}
	o, _ := n.NextOpen(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC))
	c, _ := n.NextClose(o)
	if d := c.Sub(o); d != 7*time.Hour {
		t.Fatalf("spring-forward night lasts %s, want 7h", d)
	}
	// An opening inside the skipped hour still happens that day (03:30 CEST).
	g := &DailyWindow{Start: "02:30", End: "04:00", TimeZone: "Europe/Berlin"}
	o, _ = g.NextOpen(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC))
	if !o.Equal(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)) {
		t.Fatalf("opening in the skipped hour = %s, want 03:30 CEST (01:30 UTC)", o)
	}
}

func TestDailyWindow_Validate(t *testing.T) {
	bad := []struct {
		w    DailyWindow
		want string
	}{
		{DailyWindow{Start: "9:00", End: "18:00"}, `start: "9:00" is not a time of day`},
		{DailyWindow{Start: "09:00", End: "24:00"}, `end: "24:00" is not a time of day`},
		{DailyWindow{Start: "09:00", End: "18:60"}, `end: "18:60"`},
		{DailyWindow{Start: "09:00", End: "09:00"}, "the window would be empty"},
		{DailyWindow{Start: "09:00", End: "18:00", TimeZone: "Mars/Olympus"}, `time_zone "Mars/Olympus" is not a known time zone`},
		{DailyWindow{Start: "", End: "18:00"}, `start: "" is not a time of day`},
	}
	for _, tc := range bad {
		err := tc.w.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v; want error containing %q", tc.w, err, tc.want)
		}
	}
	for _, ok := range []DailyWindow{
		{Start: "09:00", End: "18:00", TimeZone: "Europe/Berlin"},
		{Start: "22:00:15", End: "06:00"},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v; want nil", ok, err)
		}
	}
}
