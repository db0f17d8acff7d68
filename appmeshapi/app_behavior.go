package appmeshapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// App Mesh's exit actions besides standby and restart.
const (
	ExitKeepalive = "keepalive" // restart at once
	ExitRemove    = "remove"    // stop the application
)

func validExit(a string) bool {
	switch a {
	case ExitStandby, ExitRestart, ExitKeepalive, ExitRemove:
		return true
	}
	return false
}

func (a *App) setBehavior(v json.RawMessage) error {
	var b struct {
		Exit    *string           `json:"exit"`
		Control map[string]string `json:"control"`
	}
	if err := decodeStrict(v, &b); err != nil {
		return fmt.Errorf("behavior: %w", err)
	}
	if b.Exit != nil && *b.Exit != "" {
		if !validExit(*b.Exit) {
			return fmt.Errorf("behavior.exit %q is invalid: use standby, restart, keepalive or remove", *b.Exit)
		}
		a.Exit = *b.Exit
	}
	for k, act := range b.Control {
		code, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || code < 0 || code > 255 {
			return fmt.Errorf("behavior.control: %q is not an exit code (0 to 255)", k)
		}
		if !validExit(act) {
			return fmt.Errorf("behavior.control %q: action %q is invalid: use standby, restart, keepalive or remove", k, act)
		}
		if a.Control == nil {
			a.Control = map[int]string{}
		}
		a.Control[code] = act
	}
	return nil
}

// actionFor is the App Mesh action for an exit code: behavior.control's,
// else behavior.exit.
func (a *App) actionFor(code int) string {
	if act, ok := a.Control[code]; ok {
		return act
	}
	return a.Exit
}

// checkBehavior refuses what appmesh cannot do: remove stops the job of the
// run that exited, which for an interval or cron application is one
// launch, not the application.
func (a *App) checkBehavior() error {
	if !a.Schedule.Periodic() {
		return nil
	}
	for code := 0; code <= 255; code++ {
		if a.actionFor(code) == ExitRemove {
			return fmt.Errorf("field \"behavior\": action remove is not supported on an interval or cron application " +
				"(appmesh would stop only that launch, not the application)")
		}
	}
	return nil
}

// exitPolicy chooses the job type and the task's restart policy.
//
// An application whose every exit restarts is a service job restarted by
// the client (as before). Any other is a batch job that is neither
// restarted by the policy nor rescheduled, and whose restarting exit codes
// are listed as on_exit actions: keepalive (and restart, which for a
// continuous application is the same: start again after a back-off)
// restarts at once, remove stops the job, standby leaves the task stopped
// (an unlisted code ends a batch task without restart). A batch job keeps
// standby's meaning: a service job would be replaced once it completed.
// For an interval or cron application each launch is such a batch child;
// restart there means "wait for the next launch", which is standby.
func (a *App) exitPolicy() (string, *structs.RestartPolicy, *structs.ReschedulePolicy) {
	periodic := a.Schedule.Periodic()
	if !periodic && len(a.Control) == 0 && a.Exit == ExitRestart {
		return structs.JobTypeService, nil, nil
	}
	zero, zero2 := 0, 0
	rp := &structs.RestartPolicy{Attempts: &zero, Mode: structs.RestartModeFail}
	for code := 0; code <= 255; code++ {
		act := a.actionFor(code)
		if act == ExitRestart {
			act = ExitKeepalive
			if periodic {
				act = ExitStandby
			}
		}
		switch act {
		case ExitKeepalive:
			rp.OnExit = append(rp.OnExit, &structs.ExitAction{Code: code, Action: structs.ExitActionKeepalive})
		case ExitRemove:
			rp.OnExit = append(rp.OnExit, &structs.ExitAction{Code: code, Action: structs.ExitActionRemove})
		}
	}
	return structs.JobTypeBatch, rp, &structs.ReschedulePolicy{Attempts: &zero2}
}

// controlMeta is behavior.control as stored in job meta (JSON, "" when
// unset) and read back by GET.
func (a *App) controlMeta() string {
	if len(a.Control) == 0 {
		return ""
	}
	m := make(map[string]string, len(a.Control))
	for c, act := range a.Control {
		m[strconv.Itoa(c)] = act
	}
	b, _ := json.Marshal(m) // a map of strings always marshals
	return string(b)
}

func viewBehavior(j *structs.Job) map[string]any {
	b := map[string]any{"exit": j.Meta[MetaExit], "control": nil}
	if raw := j.Meta[MetaControl]; raw != "" {
		var m map[string]string
		if json.Unmarshal([]byte(raw), &m) == nil {
			b["control"] = m
		}
	}
	return b
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
