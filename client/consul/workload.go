package consul

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

// ExecFunc runs a script check's command inside its task and returns the
// exit code and output.
type ExecFunc func(ctx context.Context, cmd []string, timeout time.Duration) (exitCode int, output string, err error)

// Workload is what registers services: a task, or a group (Task empty).
type Workload struct {
	AllocID string
	JobID   string
	// JobVersion is the allocation's job version (catalog registrations
	// carry it for traffic splits).
	JobVersion uint64
	Group      string
	Task       string // empty for the group's services
	Services   []*structs.Service
	Ports      []structs.AllocatedPort
	// Exec runs script checks; nil when the workload has none.
	Exec ExecFunc
	// ExecIn runs a group service's script check in the task its
	// check.task names; nil, or a nil result, when that task cannot.
	ExecIn func(task string) ExecFunc
}

// Owner is the task's name, or the group's for group services.
func (w *Workload) Owner() string {
	if w.Task != "" {
		return w.Task
	}
	return w.Group
}

// Key identifies the workload: the prefix of its services' IDs.
func (w *Workload) Key() string { return WorkloadKey(w.AllocID, w.Group, w.Task) }

// WorkloadKey is the ID prefix of the services of one task of an
// allocation, or of its group's own services when task is empty:
// _appmesh-<alloc id>-task-<task>~ or _appmesh-<alloc id>-group-<group>~.
// The kind keeps a group and a task of the same name apart, and "~" (not
// allowed in task names) keeps task "web" from matching task "web-api".
func WorkloadKey(allocID, group, task string) string {
	if task != "" {
		return IDPrefix + allocID + "-task-" + task + "~"
	}
	return IDPrefix + allocID + "-group-" + group + "~"
}

// ServiceID is the Consul ID of one service of the workload: its key
// followed by the service name.
func (w *Workload) ServiceID(s *structs.Service) string { return w.Key() + s.Name }

// checkID names the i-th check of a service.
func checkID(serviceID string, i int) string { return serviceID + "-check-" + strconv.Itoa(i) }

// portValue resolves a port label (or number) to the host port.
func (w *Workload) portValue(label string) (int, error) {
	if label == "" {
		return 0, nil
	}
	for _, p := range w.Ports {
		if p.Label == label {
			return p.Value, nil
		}
	}
	if n, err := strconv.Atoi(label); err == nil && n > 0 && n < 65536 {
		return n, nil
	}
	return 0, fmt.Errorf("port %q is not allocated to the allocation", label)
}

// registration builds the Consul registration of one service; addr is the
// address services are advertised on, node the appmesh node name.
func (w *Workload) registration(s *structs.Service, addr, node string) (*api.AgentServiceRegistration, error) {
	port, err := w.portValue(s.Port)
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", s.Name, err)
	}
	id := w.ServiceID(s)
	meta := map[string]string{MetaOwner: node, "appmesh_alloc_id": w.AllocID, "appmesh_job_id": w.JobID,
		"appmesh_group": w.Group, MetaJobVersion: strconv.FormatUint(w.JobVersion, 10)}
	if w.Task != "" {
		meta["appmesh_task"] = w.Task
	}
	for k, v := range s.Meta {
		meta[k] = v
	}
	reg := &api.AgentServiceRegistration{
		ID: id, Name: s.Name, Tags: append([]string(nil), s.Tags...), Port: port, Address: addr, Meta: meta,
	}
	for i, c := range s.Checks {
		ac, err := w.check(s, c, i, id, addr)
		if err != nil {
			return nil, fmt.Errorf("service %q check %d: %w", s.Name, i+1, err)
		}
		reg.Checks = append(reg.Checks, ac)
	}
	return reg, nil
}

// check builds one Consul check; script checks become TTL checks.
func (w *Workload) check(s *structs.Service, c *structs.Check, i int, serviceID, addr string) (*api.AgentServiceCheck, error) {
	name := c.Name
	if name == "" {
		name = fmt.Sprintf("service %q %s check", s.Name, c.Type)
	}
	ac := &api.AgentServiceCheck{
		CheckID: checkID(serviceID, i), Name: name,
		Interval: c.IntervalOr().String(), Timeout: c.TimeoutOr().String(),
		SuccessBeforePassing: c.SuccessBeforePassing, FailuresBeforeCritical: c.FailuresBeforeCritical,
	}
	label := c.Port
	if label == "" {
		label = s.Port
	}
	port, err := w.portValue(label)
	if err != nil {
		return nil, err
	}
	hostPort := net.JoinHostPort(addr, strconv.Itoa(port))
	switch c.Type {
	case structs.CheckTypeHTTP:
		proto := c.Protocol
		if proto == "" {
			proto = "http"
		}
		path := c.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		ac.HTTP = proto + "://" + hostPort + path
		ac.Method, ac.Body, ac.TLSSkipVerify = c.Method, c.Body, c.TLSSkipVerify
		if len(c.Header) > 0 {
			ac.Header = c.Copy().Header
		}
	case structs.CheckTypeTCP:
		ac.TCP = hostPort
	case structs.CheckTypeGRPC:
		ac.GRPC = hostPort
	case structs.CheckTypeScript:
		// appmesh runs the script and reports the result before the TTL
		// runs out; a dead runner turns the check critical.
		ac.Interval, ac.Timeout = "", ""
		ac.TTL = (2*c.IntervalOr() + c.TimeoutOr()).String()
		ac.Status = api.HealthCritical
	default:
		return nil, fmt.Errorf("unknown check type %q", c.Type)
	}
	return ac, nil
}
