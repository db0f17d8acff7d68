package structs

// Task states.
const (
	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"
)

// Task event types.
const (
	TaskEventReceived      = "Received"
	TaskEventSetup         = "Task Setup"
	TaskEventStarted       = "Started"
	TaskEventTerminated    = "Terminated"
	TaskEventKilling       = "Killing"
	TaskEventKilled        = "Killed"
	TaskEventDriverFailure = "Driver Failure"
	TaskEventSetupFailure  = "Setup Failure"
	TaskEventRestarting    = "Restarting"
	TaskEventNotRestarting = "Not Restarting"
	// TaskEventNotPermitted: the client's settings forbid what the task
	// asks for (a denied user, a host bind mount, a privileged container).
	// It is final: the task is failed and not restarted on this node.
	TaskEventNotPermitted = "Not Permitted"
)

// MaxTaskEvents bounds the events kept per task.
const MaxTaskEvents = 10

// TaskState is the client's view of one task of an allocation.
type TaskState struct {
	State      string       `json:"state"`
	Failed     bool         `json:"failed"`
	Restarts   int          `json:"restarts"`
	ExitCode   *int         `json:"exit_code,omitempty"`
	StartedAt  int64        `json:"started_at,omitempty"`  // unix nanoseconds
	FinishedAt int64        `json:"finished_at,omitempty"` // unix nanoseconds
	Events     []*TaskEvent `json:"events,omitempty"`

	// App Mesh-style status. ExitCode, StartedAt and FinishedAt above are
	// the last exit code, start and exit.
	Starts    int    `json:"starts,omitempty"`     // times the task was started
	NextStart int64  `json:"next_start,omitempty"` // unix nanos; set while waiting for a daily window
	LastError string `json:"last_error,omitempty"` // the last event error
	// Health is healthy or unhealthy from the task's checks, "" without
	// checks or before every check ran once.
	Health string         `json:"health,omitempty"`
	Checks []*CheckStatus `json:"checks,omitempty"`
}

// TaskEvent is one step in a task's life.
type TaskEvent struct {
	Type     string `json:"type"`
	Time     int64  `json:"time"` // unix nanoseconds
	Message  string `json:"message,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   int    `json:"signal,omitempty"`
	Error    string `json:"error,omitempty"`
}

// AddEvent appends an event, dropping the oldest beyond MaxTaskEvents.
func (s *TaskState) AddEvent(e *TaskEvent) {
	s.Events = append(s.Events, e)
	if e.Error != "" {
		s.LastError = e.Error
	}
	if len(s.Events) > MaxTaskEvents {
		s.Events = s.Events[len(s.Events)-MaxTaskEvents:]
	}
}

// Copy returns a deep copy.
func (s *TaskState) Copy() *TaskState {
	if s == nil {
		return nil
	}
	c := *s
	if s.ExitCode != nil {
		v := *s.ExitCode
		c.ExitCode = &v
	}
	if s.Checks != nil {
		c.Checks = make([]*CheckStatus, len(s.Checks))
		for i, ck := range s.Checks {
			cc := *ck
			c.Checks[i] = &cc
		}
	}
	c.Events = make([]*TaskEvent, len(s.Events))
	for i, e := range s.Events {
		ec := *e
		c.Events[i] = &ec
	}
	return &c
}
