package appmeshapi

import (
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

// Job meta keys that mark an App Mesh application and keep what App Mesh
// reads back but a job has no field for.
const (
	MetaApp         = "appmesh.app" // "1": registered through /appmesh/
	MetaCommand     = "appmesh.app.command"
	MetaShell       = "appmesh.app.shell"
	MetaDescription = "appmesh.app.description"
	MetaExit        = "appmesh.app.exit"
	// MetaProcessUUID is the process_uuid an async run answered with.
	MetaProcessUUID = "appmesh.app.process_uuid"
)

// GroupName and TaskName name an application's only group and task.
const (
	GroupName = "app"
	TaskName  = "app"
)

// IsAppJob reports whether a job was registered through /appmesh/.
func IsAppJob(j *structs.Job) bool { return j != nil && j.Meta[MetaApp] == "1" }

// ToJob turns an application into the job that runs it on nodeID with
// driver raw_exec: App Mesh runs its applications on the host, as the
// daemon's user. See BaseJob for the rest.
func (a *App) ToJob(nodeID string) (*structs.Job, error) {
	job, err := a.BaseJob("raw_exec")
	if err != nil {
		return nil, err
	}
	job.Constraints = []*structs.Constraint{{Attribute: "${node.unique.id}", Operator: "=", Value: nodeID}}
	job.Meta[MetaApp] = "1"
	return job, nil
}

// BaseJob is the job of an application before it is placed anywhere: one
// group of one task run by driver, count 1 (0 when disabled), no
// constraints, and the meta App Mesh's view reads back (without MetaApp:
// the caller decides whether /appmesh/ manages it). standby becomes a batch
// job that is neither restarted nor rescheduled (it runs once and stays
// stopped); restart a service job that the client restarts.
func (a *App) BaseJob(driver string) (*structs.Job, error) {
	argv, err := a.Argv()
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(argv)-1)
	for _, s := range argv[1:] {
		args = append(args, s)
	}
	cfg := map[string]any{"command": argv[0], "args": args}
	if a.WorkingDir != "" {
		cfg["work_dir"] = a.WorkingDir
	}
	task := &structs.Task{Name: TaskName, Driver: driver, Config: cfg, Env: a.Env}
	// A disabled application is a job scaled to zero: it exists and can be
	// enabled, but nothing is placed. (The servers clear Stop on register.)
	count := 1
	if !a.Enabled {
		count = 0
	}
	grp := &structs.TaskGroup{Name: GroupName, Count: count, Tasks: []*structs.Task{task}}
	jobType := structs.JobTypeService
	if a.Exit == ExitStandby {
		jobType = structs.JobTypeBatch
		zero, zero2 := 0, 0
		task.Restart = &structs.RestartPolicy{Attempts: &zero, Mode: structs.RestartModeFail}
		grp.Reschedule = &structs.ReschedulePolicy{Attempts: &zero2}
	}
	return &structs.Job{
		ID: a.Name, Name: a.Name, Type: jobType,
		Groups: []*structs.TaskGroup{grp},
		Meta: map[string]string{
			MetaCommand: a.Command, MetaShell: strconv.FormatBool(a.Shell),
			MetaDescription: a.Description, MetaExit: a.Exit,
		},
	}, nil
}

// Process is what the agent knows of an application's latest process.
type Process struct {
	Running  bool
	ExitCode *int
	Failed   bool
	// StartTime is Unix seconds, 0 when it never started.
	StartTime int64
}

// Enable makes a disabled application's job run again.
func Enable(j *structs.Job) {
	j.Stop = false
	j.Groups[0].Count = 1
}

// View is an application as App Mesh's GET answers it: every field its
// SDKs read, null when appmesh has no value.
func View(j *structs.Job, p *Process) map[string]any {
	task := j.Groups[0].Tasks[0]
	status := 1
	if j.Stop || j.Groups[0].Count == 0 {
		status = 0
	}
	wd, _ := task.Config["work_dir"].(string)
	v := map[string]any{
		"name": j.ID, "command": j.Meta[MetaCommand], "shell": j.Meta[MetaShell] == "true",
		"description": nullIfEmpty(j.Meta[MetaDescription]), "working_dir": nullIfEmpty(wd),
		"status": status, "env": task.Env, "behavior": map[string]any{"exit": j.Meta[MetaExit]},
		"register_time": j.SubmitTime / 1e9,
		"pid":           nil, "return": nil, "health": Health(p), "last_start_time": nil,
		"owner": nil, "permission": nil, "metadata": nil, "docker_image": nil,
		"start_time": nil, "end_time": nil, "interval": nil, "cron": nil, "daily_limitation": nil,
		"resource_limit": nil, "sec_env": nil, "health_check_cmd": nil,
	}
	if p != nil {
		if p.ExitCode != nil {
			v["return"] = *p.ExitCode
		}
		if p.StartTime > 0 {
			v["last_start_time"] = p.StartTime
		}
	}
	return v
}

// Health is App Mesh's health: 0 healthy, 1 not. A running process, one
// that ended with exit code 0, or one not started yet is healthy.
func Health(p *Process) int {
	if p == nil || p.Running {
		return 0
	}
	if p.Failed || (p.ExitCode != nil && *p.ExitCode != 0) {
		return 1
	}
	return 0
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
