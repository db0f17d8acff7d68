package command

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// jobSchedule reads the periodic status (next launch, children) of a
// periodic or parameterized job; nil for other jobs.
func jobSchedule(client *api.Client, job *structs.Job) (*structs.PeriodicStatus, error) {
	if !job.IsParent() {
		return nil, nil
	}
	st, _, err := client.Jobs().Periodic(job.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("query launches of job %q: %w", job.ID, err)
	}
	return st, nil
}

// scheduleKV is the "Next Launch" line (and time bounds) of job status.
func scheduleKV(job *structs.Job, st *structs.PeriodicStatus) []string {
	var kv []string
	if job.Periodic != nil {
		kv = append(kv, "Next Launch", launchText(job, st.NextLaunch))
	}
	if job.StartTime != "" {
		kv = append(kv, "Start Time", job.StartTime)
	}
	if job.EndTime != "" {
		kv = append(kv, "End Time", job.EndTime)
	}
	return kv
}

// launchText shows a launch time in the job's time zone, with how far
// ahead it is.
func launchText(job *structs.Job, rfc string) string {
	if rfc == "" {
		return "none"
	}
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	if tz := job.Periodic.TimeZone; tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			t = t.In(loc)
		}
	}
	return fmt.Sprintf("%s (in %s)", t.Format("2006-01-02T15:04:05 MST"), time.Until(t).Round(time.Second))
}

// childrenTable lists periodic or dispatched children.
func childrenTable(st *structs.PeriodicStatus) string {
	if len(st.Children) == 0 {
		return "No children launched yet"
	}
	rows := [][]string{{"ID", "Status", "Submit Date"}}
	for _, c := range st.Children {
		rows = append(rows, []string{c.ID, c.Status, formatTime(c.SubmitTime)})
	}
	return formatTable(rows)
}
