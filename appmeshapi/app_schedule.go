package appmeshapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Schedule is the time-related part of an App Mesh application: its valid
// time range, its daily window and its launch pattern. appmesh honours each
// natively: start_time/end_time are the job's bounds, daily_limitation is
// the task's daily_window, an interval or a cron makes the job periodic.
type Schedule struct {
	// Start and End bound the application (zero: unbounded).
	Start, End time.Time
	// Daily is daily_limitation as UTC seconds after midnight; nil when
	// unset or when both ends are equal (App Mesh's "whole day").
	Daily *[2]int
	// Interval is the launch interval (0: none); Cron the cron expression
	// when `cron: true` (then Interval is 0). IntervalRaw is the value as
	// sent, read back by GET.
	Interval    time.Duration
	Cron        string
	IntervalRaw json.RawMessage
	// cronFlag is `cron: true`, checked against the interval in finish.
	cronFlag bool
}

// Periodic reports whether the application is launched on a schedule.
func (s *Schedule) Periodic() bool { return s.Interval > 0 || s.Cron != "" }

// Time layouts App Mesh's clients send for start_time/end_time besides
// RFC 3339 and Unix seconds. A time without a zone is UTC.
var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05Z07", "2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z07", "2006-01-02 15:04:05",
}

// parseAppTime reads start_time/end_time: Unix seconds (a number or its
// text, as App Mesh's SDKs send) or an ISO-8601 date and time.
func parseAppTime(v json.RawMessage) (time.Time, error) {
	var n int64
	if json.Unmarshal(v, &n) == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return time.Time{}, fmt.Errorf("must be Unix seconds or an ISO-8601 time such as \"2026-10-11T09:22:05Z\", got %s", v)
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not Unix seconds nor an ISO-8601 time such as \"2026-10-11T09:22:05Z\"", s)
}

// clockRe is a time of day with an optional zone: "09:00", "09:00:00",
// "09:00:00+08", "09:00:00+08:00", "09:00:00Z".
var clockRe = regexp.MustCompile(`^(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}(?::?\d{2})?)?$`)

// parseDailyEnd reads one end of daily_limitation into UTC seconds after
// midnight: a number (seconds of day, or Unix seconds as the SDKs send
// them; App Mesh keeps it modulo one day) or a time of day with an
// optional zone offset.
func parseDailyEnd(v json.RawMessage) (int, error) {
	var n int64
	if json.Unmarshal(v, &n) == nil {
		return int(((n % 86400) + 86400) % 86400), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return 0, fmt.Errorf("must be seconds or a time of day such as \"09:00:00+08\", got %s", v)
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return int(((n % 86400) + 86400) % 86400), nil
	}
	m := clockRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a time of day such as \"09:00:00\" or \"09:00:00+08\"", s)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	sec := 0
	if m[3] != "" {
		sec, _ = strconv.Atoi(m[3])
	}
	if h > 23 || mi > 59 || sec > 59 {
		return 0, fmt.Errorf("%q is not a time of day (00:00:00 to 23:59:59)", s)
	}
	off := 0
	if z := m[4]; z != "" && z != "Z" {
		digits := strings.ReplaceAll(z[1:], ":", "")
		oh, _ := strconv.Atoi(digits[:2])
		om := 0
		if len(digits) == 4 {
			om, _ = strconv.Atoi(digits[2:])
		}
		if oh > 14 || om > 59 {
			return 0, fmt.Errorf("%q: zone offset %s is out of range", s, z)
		}
		off = oh*3600 + om*60
		if z[0] == '-' {
			off = -off
		}
	}
	return ((h*3600+mi*60+sec-off)%86400 + 86400) % 86400, nil
}

func (s *Schedule) setDaily(v json.RawMessage) error {
	var d struct {
		Start json.RawMessage `json:"daily_start"`
		End   json.RawMessage `json:"daily_end"`
	}
	if err := decodeStrict(v, &d); err != nil {
		return err
	}
	if isUnset(d.Start) || isUnset(d.End) {
		return fmt.Errorf("daily_start and daily_end are required together")
	}
	start, err := parseDailyEnd(d.Start)
	if err != nil {
		return fmt.Errorf("daily_start: %w", err)
	}
	end, err := parseDailyEnd(d.End)
	if err != nil {
		return fmt.Errorf("daily_end: %w", err)
	}
	if start != end { // equal ends: the whole day, as in App Mesh
		s.Daily = &[2]int{start, end}
	}
	return nil
}

// isoDurationRe is an ISO-8601 duration of whole numbers: P1Y2M3W4DT5H6M7S.
var isoDurationRe = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseISODuration reads an ISO-8601 duration; a year is 365 days and a
// month 30, as App Mesh counts them.
func parseISODuration(s string) (time.Duration, error) {
	m := isoDurationRe.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not seconds nor an ISO-8601 duration such as \"PT1H\" or \"P1W\"", s)
	}
	units := []time.Duration{365 * 24 * time.Hour, 30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour,
		time.Hour, time.Minute, time.Second}
	var d time.Duration
	for i, u := range units {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", s, err)
		}
		d += time.Duration(n) * u
	}
	return d, nil
}

// parseSeconds reads App Mesh's duration values: whole seconds (a number
// or its text) or an ISO-8601 duration.
func parseSeconds(v json.RawMessage) (time.Duration, error) {
	var n int64
	if json.Unmarshal(v, &n) == nil {
		if n < 0 {
			return 0, fmt.Errorf("must not be negative, got %d", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return 0, fmt.Errorf("must be seconds or an ISO-8601 duration such as \"PT1H\", got %s", v)
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	return parseISODuration(s)
}

// setInterval keeps start_interval_seconds (or App Mesh's newer name
// interval) as sent; finish reads it once `cron` is known.
func (s *Schedule) setInterval(v json.RawMessage) error {
	if s.IntervalRaw != nil && string(s.IntervalRaw) != string(v) {
		return fmt.Errorf("start_interval_seconds and interval differ: send one of them")
	}
	s.IntervalRaw = v
	return nil
}

// finish reads the interval as a duration, or as a cron expression when
// `cron: true`, and checks the bounds.
func (s *Schedule) finish() error {
	if s.cronFlag && s.IntervalRaw == nil {
		return fmt.Errorf("field \"cron\": true needs start_interval_seconds holding the cron expression")
	}
	if s.IntervalRaw != nil {
		if err := s.readInterval(); err != nil {
			return fmt.Errorf("field \"start_interval_seconds\": %w", err)
		}
	}
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		return fmt.Errorf("field \"end_time\": %s is not after start_time %s",
			s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}
	return nil
}

func (s *Schedule) readInterval() error {
	if s.cronFlag {
		var expr string
		if err := json.Unmarshal(s.IntervalRaw, &expr); err != nil || strings.TrimSpace(expr) == "" {
			return fmt.Errorf("with cron: true it must be a cron expression such as \"0 */5 * * * *\", got %s", s.IntervalRaw)
		}
		s.Cron = strings.TrimSpace(expr)
		// The servers' own check of the expression, so that a bad one is a
		// 400 naming this field rather than a job validation error.
		if err := (&structs.PeriodicConfig{Crons: []string{s.Cron}}).Validate(); err != nil {
			return err
		}
		return nil
	}
	d, err := parseSeconds(s.IntervalRaw)
	if err != nil {
		return err
	}
	if d < time.Second {
		return fmt.Errorf("the interval must be at least 1 second, got %s", s.IntervalRaw)
	}
	s.Interval = d
	return nil
}

// apply puts the schedule on the job: bounds, daily window, periodic.
func (s *Schedule) apply(job *structs.Job, task *structs.Task) {
	if !s.Start.IsZero() {
		job.StartTime = s.Start.Format(time.RFC3339)
	}
	if !s.End.IsZero() {
		job.EndTime = s.End.Format(time.RFC3339)
	}
	if s.Daily != nil {
		task.DailyWindow = &structs.DailyWindow{Start: clock(s.Daily[0]), End: clock(s.Daily[1]), TimeZone: "UTC"}
	}
	switch {
	case s.Cron != "":
		job.Periodic = &structs.PeriodicConfig{Crons: []string{s.Cron}}
	case s.Interval > 0:
		job.Periodic = &structs.PeriodicConfig{Interval: structs.Duration(s.Interval)}
	}
	if s.IntervalRaw != nil {
		job.Meta[MetaInterval] = string(s.IntervalRaw)
	}
}

func clock(secs int) string {
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}

// viewSchedule adds the schedule's fields to a GET answer, and
// next_start_time: the next launch of a periodic application, or
// start_time while it is ahead.
func viewSchedule(v map[string]any, j *structs.Job, now time.Time) {
	start, end := j.TimeBounds()
	v["start_time"], v["end_time"] = unixOrNil(start), unixOrNil(end)
	v["daily_limitation"] = nil
	if w := j.Groups[0].Tasks[0].DailyWindow; w != nil {
		a, errA := parseDailyEnd(json.RawMessage(strconv.Quote(w.Start)))
		b, errB := parseDailyEnd(json.RawMessage(strconv.Quote(w.End)))
		if errA == nil && errB == nil {
			v["daily_limitation"] = map[string]any{"daily_start": a, "daily_end": b}
		}
	}
	v["cron"] = j.Periodic != nil && len(j.Periodic.Crons) > 0
	// Both names: App Mesh's SDK App reads only the newer interval, and
	// sends back only what it read (an app read without it would come
	// back as a one-shot app).
	v["start_interval_seconds"], v["interval"] = nil, nil
	if raw := j.Meta[MetaInterval]; raw != "" {
		v["start_interval_seconds"] = json.RawMessage(raw)
		v["interval"] = json.RawMessage(raw)
	}
	v["next_start_time"] = nil
	if j.Stop || j.Groups[0].Count == 0 {
		return
	}
	from := now
	if start.After(from) {
		from = start
	}
	next := time.Time{}
	switch {
	case j.Periodic != nil && j.Periodic.Interval > 0:
		// Launches are submit time + k × interval.
		iv := j.Periodic.Interval.Std()
		anchor := time.Unix(0, j.SubmitTime)
		if start.After(anchor) {
			anchor = start.Add(-time.Nanosecond)
		}
		k := from.Sub(anchor)/iv + 1
		next = anchor.Add(k * iv)
	case j.Periodic != nil:
		next, _ = j.Periodic.Next(from.Add(-time.Nanosecond))
	case start.After(now):
		next = start
	}
	if !next.IsZero() && (end.IsZero() || next.Before(end)) {
		v["next_start_time"] = next.Unix()
	}
}

func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}
