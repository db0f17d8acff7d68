package server

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// Meta keys marking the jobs that come from Consul KV.
const (
	MetaConsulSource = "appmesh_source" // = "consul"
	MetaConsulKey    = "appmesh_consul_key"
	MetaConsulIndex  = "appmesh_consul_index" // ModifyIndex of the key
)

// ConsulTaskDefaultUser runs a task from Consul KV whose JSON names no
// user: an unprivileged one, never the agent's (root on most nodes).
const ConsulTaskDefaultUser = "nobody"

// consulTaskWait is how long one blocking query on the tasks waits.
const consulTaskWait = 5 * time.Minute

// ConsulTask is an application defined as JSON under
// <kv_prefix>/cluster/tasks/<name> in appmesh's own format. App Mesh's
// format (with "content") is AppMeshTask; consulTaskJob tells them apart.
type ConsulTask struct {
	Replication *int   `json:"replication,omitempty"` // default 1
	Command     string `json:"command"`
	Driver      string `json:"driver,omitempty"` // only exec (the default)
	// User is the host user the command runs as: ConsulTaskDefaultUser
	// when unset, never root (see checkUnprivileged).
	User         string            `json:"user,omitempty"`
	Port         int               `json:"port,omitempty"`   // static port, label "http"
	Memory       int               `json:"memory,omitempty"` // MB
	CPU          int               `json:"cpu,omitempty"`    // MHz
	Env          map[string]string `json:"env,omitempty"`
	NodeSelector map[string]string `json:"node_selector,omitempty"`
}

// watchConsulTasks (leader) keeps one job per key under
// <kv_prefix>/cluster/tasks/: registered when the key appears, updated
// when it changes, stopped when it goes.
func (s *Server) watchConsulTasks(ctx context.Context) {
	logger := s.logger.Named("consul_tasks")
	kv := s.config.Consul.API.KV()
	prefix := s.config.Consul.KVPrefix + "/cluster/tasks/"
	var index uint64
	var backoff time.Duration
	var outage consulOutage
	statuses := &consulTaskStatuses{kv: kv, prefix: consulTaskStatusPrefix(s.config.Consul.KVPrefix)}
	for ctx.Err() == nil {
		opts := (&api.QueryOptions{WaitIndex: index, WaitTime: consulTaskWait}).WithContext(ctx)
		pairs, meta, err := kv.List(prefix, opts)
		if err != nil {
			if ctx.Err() == nil {
				outage.fail(logger, "cannot watch tasks under "+prefix+" in consul", err)
			}
			// Consul may come back with a lower index (restarted without its
			// data): a blocking query on the old index would hang until its
			// wait time, so the next listing starts over.
			index = 0
			if !consulBackoff(ctx, &backoff) {
				return
			}
			continue
		}
		backoff = 0
		outage.ok(logger)
		if meta.LastIndex < index {
			index = 0 // Consul's index went back (restart): start over
		} else {
			index = meta.LastIndex
		}
		epoch, trusted, err := s.consulTasksEpoch(kv)
		if err != nil {
			logger.Warn("cannot read the consul tasks epoch: adding and updating jobs, stopping none this round", "error", err)
		}
		refused := s.syncConsulTasks(logger, prefix, pairs, epoch)
		statuses.update(ctx, logger, refused)
		if trusted {
			s.stopDeletedConsulJobs(logger, kv, keyNames(prefix, pairs), epoch, meta)
		}
	}
}

// keyNames lists the task names of a listing (direct children only).
func keyNames(prefix string, pairs api.KVPairs) map[string]bool {
	want := map[string]bool{}
	for _, p := range pairs {
		if name := strings.TrimPrefix(p.Key, prefix); name != "" && !strings.Contains(name, "/") {
			want[name] = true
		}
	}
	return want
}

// syncConsulTasks registers and updates jobs to match the keys, and
// returns why the keys that do not run were refused; stopping the jobs of
// deleted keys is stopDeletedConsulJobs's.
func (s *Server) syncConsulTasks(logger hclog.Logger, prefix string, pairs api.KVPairs, epoch string) map[string]*ConsulTaskStatus {
	refused := map[string]*ConsulTaskStatus{}
	for _, p := range pairs {
		name := strings.TrimPrefix(p.Key, prefix)
		if name == "" || strings.Contains(name, "/") {
			continue
		}
		if err := s.applyConsulTask(name, p, epoch); err != nil {
			logger.Error("cannot run task from consul", "key", p.Key, "error", err)
			refused[name] = &ConsulTaskStatus{Key: p.Key, ModifyIndex: p.ModifyIndex, Error: err.Error()}
		}
	}
	return refused
}

// applyConsulTask registers the key's job unless it is up to date.
func (s *Server) applyConsulTask(name string, p *api.KVPair, epoch string) error {
	idx := strconv.FormatUint(p.ModifyIndex, 10)
	cur, err := s.State().JobByID(nil, structs.DefaultNamespace, name)
	if err != nil {
		return fmt.Errorf("look up job: %w", err)
	}
	if cur != nil && cur.Meta[MetaConsulSource] != "consul" {
		return fmt.Errorf("a job %q not defined in consul exists; leaving it alone", name)
	}
	if cur != nil && !cur.Stop && cur.Meta[MetaConsulIndex] == idx && (epoch == "" || cur.Meta[MetaConsulEpoch] == epoch) {
		if err := checkUnprivileged(cur); err != nil {
			// Registered by an appmesh that still allowed it.
			return s.stopRefusedConsulJob(cur, err)
		}
		return nil
	}
	job, err := consulTaskJob(name, p.Value)
	if err != nil {
		if cur != nil && !cur.Stop {
			// A typo in a key must not take its application down: the job
			// of the last good value keeps running until the key is fixed
			// or deleted.
			return fmt.Errorf("invalid value, keeping the job of its previous value running: %w", err)
		}
		return fmt.Errorf("invalid value, nothing runs: %w", err)
	}
	if err := checkUnprivileged(job); err != nil {
		if cur != nil && !cur.Stop {
			return s.stopRefusedConsulJob(cur, err)
		}
		return err
	}
	job.Meta = map[string]string{MetaConsulSource: "consul", MetaConsulKey: p.Key, MetaConsulIndex: idx, MetaConsulEpoch: epoch}
	var reply structs.JobRegisterResponse
	if err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reply); err != nil {
		return fmt.Errorf("register job: %w", err)
	}
	s.logger.Named("consul_tasks").Info("registered job from consul", "job", name, "count", job.Groups[0].Count, "format", consulTaskFormat(p.Value))
	return nil
}

// stopRefusedConsulJob stops the running job of a key that is refused (see
// checkUnprivileged) and returns why, for the caller to log.
func (s *Server) stopRefusedConsulJob(cur *structs.Job, why error) error {
	var reply structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: cur.ID}, &reply); err != nil {
		return fmt.Errorf("%w; stopping its running job failed: %v", why, err)
	}
	return fmt.Errorf("%w; its running job was stopped", why)
}

// Job turns the task into a service job named name with one group and
// one task.
func (t *ConsulTask) Job(name string) *structs.Job {
	driver := t.Driver
	if driver == "" {
		driver = structs.DriverExec
	}
	user := t.User
	if user == "" {
		user = ConsulTaskDefaultUser
	}
	task := &structs.Task{
		Name: name, Driver: driver, User: user, Env: t.Env,
		Config:    map[string]any{"command": "/bin/sh", "args": []any{"-c", t.Command}},
		Resources: &structs.Resources{CPU: t.CPU, MemoryMB: t.Memory},
	}
	count := 1
	if t.Replication != nil {
		count = *t.Replication
	}
	g := &structs.TaskGroup{Name: name, Count: count, Tasks: []*structs.Task{task}}
	if t.Port > 0 {
		g.Network = &structs.NetworkResource{Ports: []*structs.Port{{Label: "http", Static: t.Port}}}
	}
	keys := make([]string, 0, len(t.NodeSelector))
	for k := range t.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable job for a stable key
	for _, k := range keys {
		v := t.NodeSelector[k]
		attr := k
		if !strings.HasPrefix(k, "${") {
			attr = "${meta." + k + "}"
		}
		g.Constraints = append(g.Constraints, &structs.Constraint{Attribute: attr, Operator: structs.ConstraintEqual, Value: v})
	}
	return &structs.Job{ID: name, Type: structs.JobTypeService, Groups: []*structs.TaskGroup{g}}
}

// checkUnprivileged refuses a job from Consul KV that is more than an
// isolated exec task run as a non-root user. Whoever can write the KV
// prefix is not known to appmesh's ACLs, so a key must never give more
// than the least a job can be: no raw_exec, no docker mounts, no root, and
// no "no user" (which is the agent's user, root on most nodes).
func checkUnprivileged(job *structs.Job) error {
	var problems []string
	for _, g := range job.Groups {
		for _, t := range g.Tasks {
			if t.Driver != structs.DriverExec {
				problems = append(problems, fmt.Sprintf("driver %q is not allowed (only exec)", t.Driver))
			}
		}
	}
	problems = append(problems, job.PrivilegedReasons()...)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("refused: a task from consul must be an exec task with a user other than root (set \"user\" in the key's JSON): %s",
		strings.Join(problems, "; "))
}
