package structs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DailyWindow is a task's `daily_window` block: the task runs only between
// Start and End (wall-clock times of day in TimeZone, default UTC) every
// day. End before Start makes the window cross midnight (22:00 to 06:00).
type DailyWindow struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	TimeZone string `json:"time_zone,omitempty"`
}

// parseClock reads "HH:MM" or "HH:MM:SS" into seconds after midnight.
func parseClock(s string) (int, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return 0, fmt.Errorf("%q is not a time of day: use HH:MM or HH:MM:SS", s)
	}
	limits := []int{23, 59, 59}
	secs := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 || n < 0 || n > limits[i] {
			return 0, fmt.Errorf("%q is not a time of day: use HH:MM or HH:MM:SS (00:00 to 23:59:59)", s)
		}
		secs = secs*60 + n
	}
	if len(parts) == 2 {
		secs *= 60
	}
	return secs, nil
}

// Validate checks the times and the time zone.
func (w *DailyWindow) Validate() error {
	v := &ValidationError{}
	start, err := parseClock(w.Start)
	if err != nil {
		v.Add("", "start: %v", err)
	}
	end, err2 := parseClock(w.End)
	if err2 != nil {
		v.Add("", "end: %v", err2)
	}
	if err == nil && err2 == nil && start == end {
		v.Add("", "start and end are both %s: the window would be empty", w.Start)
	}
	if _, err := time.LoadLocation(w.TimeZone); err != nil {
		v.Add("", "time_zone %q is not a known time zone: %v", w.TimeZone, err)
	}
	return v.ErrorOrNil()
}

// Copy returns a copy; nil stays nil.
func (w *DailyWindow) Copy() *DailyWindow {
	if w == nil {
		return nil
	}
	c := *w
	return &c
}

// windowSpans returns the window's [open, close) spans that begin on the
// days from t's day - 1 to t's day + 2 in the window's zone, in order.
func (w *DailyWindow) windowSpans(t time.Time) ([][2]time.Time, error) {
	start, err := parseClock(w.Start)
	if err != nil {
		return nil, err
	}
	end, err := parseClock(w.End)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("daily window time zone %q: %w", w.TimeZone, err)
	}
	lt := t.In(loc)
	spans := make([][2]time.Time, 0, 4)
	for d := -1; d <= 2; d++ {
		open := clockOn(lt, d, start, loc)
		endDay := d
		if end <= start {
			endDay++ // crosses midnight
		}
		spans = append(spans, [2]time.Time{open, clockOn(lt, endDay, end, loc)})
	}
	return spans, nil
}

// clockOn is the instant of secs after midnight (wall clock) on the day
// days after t's day. A wall time skipped by a DST change is normalised by
// time.Date (02:30 on a spring-forward day becomes 03:30).
func clockOn(t time.Time, days, secs int, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+days, secs/3600, secs/60%60, secs%60, 0, loc)
}

// Contains reports whether t is inside the window (open inclusive, close
// exclusive).
func (w *DailyWindow) Contains(t time.Time) (bool, error) {
	spans, err := w.windowSpans(t)
	if err != nil {
		return false, err
	}
	for _, s := range spans {
		if !t.Before(s[0]) && t.Before(s[1]) {
			return true, nil
		}
	}
	return false, nil
}

// NextOpen is the first opening of the window strictly after t.
func (w *DailyWindow) NextOpen(t time.Time) (time.Time, error) {
	return w.nextEdge(t, 0)
}

// NextClose is the first closing of the window strictly after t.
func (w *DailyWindow) NextClose(t time.Time) (time.Time, error) {
	return w.nextEdge(t, 1)
}

func (w *DailyWindow) nextEdge(t time.Time, edge int) (time.Time, error) {
	spans, err := w.windowSpans(t)
	if err != nil {
		return time.Time{}, err
	}
	for _, s := range spans {
		if s[edge].After(t) {
			return s[edge], nil
		}
	}
	return time.Time{}, fmt.Errorf("daily window %s-%s: no edge found after %s", w.Start, w.End, t)
}
