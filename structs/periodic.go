package structs

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// PeriodicLaunchRequestType records a periodic launch (and the child job it
// created, if any) in one Raft entry.
const PeriodicLaunchRequestType MessageType = 12

// Meta keys the servers set on periodic children.
const (
	// MetaPeriodicLate is "true" on a child launched after its tick, e.g. by
	// a new leader for a tick missed during a failover.
	MetaPeriodicLate = "appmesh.periodic.late"
	// MetaPeriodicTick is the scheduled time of the launch (RFC 3339).
	MetaPeriodicTick = "appmesh.periodic.tick"
	// MetaPeriodicForced is "true" on a child launched by `job periodic force`.
	MetaPeriodicForced = "appmesh.periodic.forced"
)

// cronParser reads cron expressions of five fields, as Nomad and crontab
// write them ("*/5 * * * *"), or six with a leading seconds field
// ("0 */5 * * * *"), and descriptors ("@hourly", "@every 90s").
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom |
	cron.Month | cron.Dow | cron.Descriptor)

// PeriodicConfig makes a job a template that is launched on a schedule:
// each launch is a child job "<id>/periodic-<unix seconds>".
type PeriodicConfig struct {
	// Crons are cron expressions with seconds; the job launches at the
	// earliest next time of any of them.
	Crons []string `json:"crons,omitempty"`
	// Interval launches the job every interval (exclusive with Crons).
	Interval Duration `json:"interval,omitempty"`
	// TimeZone (IANA name) the crons are read in; default UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// ProhibitOverlap skips a launch while a previous child still runs.
	ProhibitOverlap bool `json:"prohibit_overlap,omitempty"`
}

// Copy returns a deep copy.
func (p *PeriodicConfig) Copy() *PeriodicConfig {
	if p == nil {
		return nil
	}
	c := *p
	c.Crons = append([]string(nil), p.Crons...)
	return &c
}

// Validate checks that exactly one of crons and interval is set, that every
// cron parses and that the time zone loads.
func (p *PeriodicConfig) Validate() error {
	v := &ValidationError{}
	if p == nil {
		return nil
	}
	switch {
	case len(p.Crons) == 0 && p.Interval == 0:
		v.Add("", "one of crons or interval is required")
	case len(p.Crons) > 0 && p.Interval != 0:
		v.Add("", "crons and interval are exclusive: set only one")
	case p.Interval < 0:
		v.Add("", "interval %s must be positive", p.Interval.Std())
	case p.Interval > 0 && p.Interval.Std() < time.Second:
		v.Add("", "interval %s is too short: the minimum is 1s", p.Interval.Std())
	}
	for _, c := range p.Crons {
		s, err := cronParser.Parse(c)
		if err != nil {
			v.Add("", "cron %q is invalid (5 fields as in crontab, e.g. \"*/5 * * * *\", or 6 with seconds first): %v", c, err)
		} else if s.Next(time.Now()).IsZero() {
			v.Add("", "cron %q never fires (no matching date, e.g. February 30)", c)
		}
	}
	if _, err := p.location(); err != nil {
		v.Add("", "%v", err)
	}
	return v.ErrorOrNil()
}

func (p *PeriodicConfig) location() (*time.Location, error) {
	if p.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q is not a known time zone: %v", p.TimeZone, err)
	}
	return loc, nil
}

// nextFunc returns the function giving the first launch strictly after t
// (zero when the crons have none), with the crons parsed and the time zone
// loaded once rather than on every tick.
func (p *PeriodicConfig) nextFunc() (func(time.Time) time.Time, error) {
	if p.Interval > 0 {
		iv := p.Interval.Std()
		return func(t time.Time) time.Time { return t.Add(iv) }, nil
	}
	loc, err := p.location()
	if err != nil {
		return nil, err
	}
	scheds := make([]cron.Schedule, 0, len(p.Crons))
	for _, c := range p.Crons {
		s, err := cronParser.Parse(c)
		if err != nil {
			return nil, fmt.Errorf("cron %q: %w", c, err)
		}
		scheds = append(scheds, s)
	}
	return func(t time.Time) time.Time {
		var next time.Time
		for _, s := range scheds {
			n := s.Next(t.In(loc))
			if !n.IsZero() && (next.IsZero() || n.Before(next)) {
				next = n
			}
		}
		return next
	}, nil
}

// Next returns the first launch time strictly after t.
func (p *PeriodicConfig) Next(t time.Time) (time.Time, error) {
	nextFn, err := p.nextFunc()
	if err != nil {
		return time.Time{}, err
	}
	next := nextFn(t)
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("the crons %q have no time after %s", p.Crons, t.Format(time.RFC3339))
	}
	return next, nil
}

// maxCatchUpTicks bounds the search for the latest missed tick.
const maxCatchUpTicks = 100000

// LatestDue returns the latest launch time in (after, now], or the zero
// time when no launch is due. For intervals the ticks are after+k*interval.
func (p *PeriodicConfig) LatestDue(after, now time.Time) (time.Time, error) {
	next, err := p.Next(after)
	if err != nil || next.After(now) {
		return time.Time{}, err
	}
	if p.Interval > 0 {
		iv := p.Interval.Std()
		k := now.Sub(after) / iv
		return after.Add(k * iv), nil
	}
	nextFn, err := p.nextFunc()
	if err != nil {
		return time.Time{}, err
	}
	for i := 0; i < maxCatchUpTicks; i++ {
		n := nextFn(next)
		if n.IsZero() || n.After(now) {
			break
		}
		next = n
	}
	return next, nil
}

// PeriodicLaunch records the last launch of a periodic job (table
// periodic_launch). Launch is the scheduled tick in unix nanoseconds.
type PeriodicLaunch struct {
	Namespace   string `json:"namespace"`
	ID          string `json:"id"`
	Launch      int64  `json:"launch"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// PeriodicLaunchEntry records a launch and, atomically, the child job it
// created and the child's evaluation. Job is nil when the launch was
// skipped (prohibit_overlap), which still advances the record.
type PeriodicLaunchEntry struct {
	Launch *PeriodicLaunch `json:"launch"`
	Job    *Job            `json:"job,omitempty"`
	Eval   *Evaluation     `json:"eval,omitempty"`
}

// PeriodicChildID names the child launched for the tick t.
func PeriodicChildID(parent string, t time.Time) string {
	return fmt.Sprintf("%s/periodic-%d", parent, t.Unix())
}
