package structs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// CheckTypeGRPC is a gRPC health check; only services (run by Consul)
// have it. The other check types are in check.go.
const CheckTypeGRPC = "grpc"

var validServiceName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]{0,62}[a-zA-Z0-9])?$`)

// Service is a `service` block of a group or a task: registered with the
// node's Consul agent while the allocation runs.
//
//	service {
//	  name = "api"
//	  port = "http"           # a port label of the group's network block
//	  tags = ["v1"]
//	  check { type = "http"  path = "/health"  interval = "5s"  timeout = "1s" }
//	}
type Service struct {
	Name   string            `json:"name" hcl:"name,optional"`
	Port   string            `json:"port,omitempty" hcl:"port,optional"`
	Tags   []string          `json:"tags,omitempty" hcl:"tags,optional"`
	Meta   map[string]string `json:"meta,omitempty" hcl:"meta,optional"`
	Checks []*Check          `json:"checks,omitempty" hcl:"check,block"`
	// Provider picks the catalog: "consul" (the default: the node's Consul
	// agent, when the agent has the Consul integration on) or "appmesh"
	// ("nomad" is accepted as a synonym): the servers' built-in catalog
	// (service_registration.go).
	Provider string `json:"provider,omitempty" hcl:"provider,optional"`
	// Connect puts a group service in the service mesh (connect.go).
	Connect *ConsulConnect `json:"connect,omitempty" hcl:"connect,block"`
}

// Canonicalize fills in the service's defaults; owner names the service
// when it has no name ("<job>-<group>" or "<job>-<group>-<task>").
func (s *Service) Canonicalize(owner string) {
	if s.Name == "" {
		s.Name = defaultServiceName(owner)
	}
	for _, c := range s.Checks {
		if c.Interval == 0 {
			c.Interval = Duration(DefaultCheckInterval)
		}
		if c.Timeout == 0 {
			c.Timeout = Duration(DefaultCheckTimeout)
		}
		if c.Type == CheckTypeHTTP && c.Path == "" {
			c.Path = "/"
		}
	}
}

// Validate checks the service against the group's ports.
func (s *Service) Validate(net *NetworkResource) error {
	v := &ValidationError{}
	if s.Name != "" && !validServiceName.MatchString(s.Name) {
		v.Add("", "name %q is invalid: use letters, digits and '-' (a DNS label)", s.Name)
	}
	switch s.Provider {
	case "", ServiceProviderConsul, ServiceProviderAppmesh, ServiceProviderNomad:
	default:
		v.Add("", "provider %q is invalid: use %q, %q or %q", s.Provider,
			ServiceProviderConsul, ServiceProviderAppmesh, ServiceProviderNomad)
	}
	if s.Port != "" && !hasPortLabel(net, s.Port) {
		v.Add("", "port %q is not a port label of the group's network block", s.Port)
	}
	for i, c := range s.Checks {
		v.Merge(fmt.Sprintf("check %d", i+1), validateServiceCheck(c, s, net))
		if c != nil && c.Type == CheckTypeGRPC && s.IsNative() {
			v.Add(fmt.Sprintf("check %d", i+1), "grpc checks need Consul: the %s provider runs http, tcp and script checks", s.Provider)
		}
	}
	return v.ErrorOrNil()
}

// validateServiceCheck checks a service's check: like a task's check,
// plus grpc, and the port defaults to the service's.
func validateServiceCheck(c *Check, s *Service, net *NetworkResource) error {
	if c == nil {
		return fmt.Errorf("empty block")
	}
	v := &ValidationError{}
	port := c.Port
	if port == "" {
		port = s.Port
	}
	switch c.Type {
	case CheckTypeHTTP, CheckTypeTCP, CheckTypeGRPC:
		if port == "" {
			v.Add("", "a %s check needs a port: set the service's or the check's port", c.Type)
		} else if _, err := strconv.Atoi(port); err != nil && !hasPortLabel(net, port) {
			v.Add("", "port %q is not a port label of the group's network block", port)
		}
	case CheckTypeScript:
		if c.Command == "" {
			v.Add("", "a script check needs a command")
		}
	default:
		v.Add("", "type %q is invalid: use http, tcp, grpc or script", c.Type)
	}
	if c.Interval < 0 || c.Timeout < 0 {
		v.Add("", "interval and timeout must not be negative")
	}
	validateCheckNomadFields(v, c)
	return v.ErrorOrNil()
}

// validateCheckHTTPFields checks method, header and body, which only
// an http check uses.
func validateCheckHTTPFields(v *ValidationError, c *Check) {
	if c.Type != CheckTypeHTTP && (c.Method != "" || len(c.Header) > 0 || c.Body != "") {
		v.Add("", "method, header and body belong to http checks, not %s", c.Type)
	}
	if c.Method != "" && !validHTTPMethod(c.Method) {
		v.Add("", "method %q is invalid: use an HTTP method such as GET, POST or HEAD", c.Method)
	}
	for k := range c.Header {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") {
			v.Add("header", "%q is not a valid header name", k)
		}
	}
}

// validHTTPMethod accepts an upper-case token: the standard methods and
// extensions, never something net/http would turn into a different request.
func validHTTPMethod(m string) bool {
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return m != ""
}

// validateCheckNomadFields checks on_update, expose, the http fields and
// the flap thresholds.
func validateCheckNomadFields(v *ValidationError, c *Check) {
	switch c.OnUpdate {
	case "", "require_healthy", "ignore_warnings", "ignore":
	default:
		v.Add("", "on_update %q is invalid: use require_healthy, ignore_warnings or ignore", c.OnUpdate)
	}
	validateCheckHTTPFields(v, c)
	if c.SuccessBeforePassing < 0 || c.FailuresBeforeCritical < 0 {
		v.Add("", "success_before_passing and failures_before_critical must not be negative")
	}
	if c.Expose {
		v.Add("", "expose (a check reached through the sidecar proxy) is not supported: remove it and give the check a port of its own")
	}
}

// validateGroupCheckTasks checks that a group service's check.task names
// a task of the group and is set on script checks only.
func validateGroupCheckTasks(v *ValidationError, g *TaskGroup) {
	for i, s := range g.Services {
		if s == nil {
			continue
		}
		for j, c := range s.Checks {
			if c == nil {
				continue
			}
			prefix := fmt.Sprintf("service %d: check %d", i+1, j+1)
			switch {
			case c.Task != "" && c.Type != CheckTypeScript:
				v.Add(prefix, "task is only for script checks: the %s check runs from the client", c.Type)
			case c.Task != "" && g.LookupTask(c.Task) == nil:
				v.Add(prefix, "task %q is not a task of the group", c.Task)
			case c.Task == "" && c.Type == CheckTypeScript:
				v.Add(prefix, "a script check of a group service needs task = \"<task>\": the task of the group it runs in")
			}
		}
	}
	for _, t := range g.Tasks {
		for _, s := range t.Services {
			for j, c := range s.GetChecks() {
				if c != nil && c.Task != "" {
					v.Add(fmt.Sprintf("task %q: service %q: check %d", t.Name, s.Name, j+1),
						"task is only for checks of group services: a task's checks run in the task already")
				}
			}
		}
	}
}

// GetChecks returns the service's checks; nil-safe.
func (s *Service) GetChecks() []*Check {
	if s == nil {
		return nil
	}
	return s.Checks
}

func hasPortLabel(net *NetworkResource, label string) bool {
	if net == nil {
		return false
	}
	for _, p := range net.Ports {
		if p != nil && p.Label == label {
			return true
		}
	}
	return false
}

// Copy returns a deep copy.
func (s *Service) Copy() *Service {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = append([]string(nil), s.Tags...)
	c.Meta = copyStringMap(s.Meta)
	c.Checks = make([]*Check, len(s.Checks))
	for i, ch := range s.Checks {
		c.Checks[i] = ch.Copy()
	}
	c.Connect = s.Connect.Copy()
	return &c
}

// CopyServices deep-copies a list of services.
func CopyServices(in []*Service) []*Service {
	if in == nil {
		return nil
	}
	out := make([]*Service, len(in))
	for i, s := range in {
		out[i] = s.Copy()
	}
	return out
}

// validateServices checks a list of services; duplicate names are errors.
func validateServices(v *ValidationError, services []*Service, net *NetworkResource) {
	seen := map[string]bool{}
	for i, s := range services {
		if s == nil {
			v.Add(fmt.Sprintf("service %d", i+1), "service is empty")
			continue
		}
		v.Merge(fmt.Sprintf("service %d", i+1), s.Validate(net))
		if s.Name != "" && seen[s.Name] {
			v.Add(fmt.Sprintf("service %q", s.Name), "defined more than once")
		}
		seen[s.Name] = true
	}
}

// defaultServiceName turns "<job>-<group>[-<task>]" into a valid service
// name: job IDs may hold characters a service name may not ("my_app",
// "web.v2"), so every run of them becomes one dash, and the name is cut at
// 63 characters without a dash at either end. A name given in the job is
// never changed: it is validated as written.
func defaultServiceName(owner string) string {
	b := make([]byte, 0, len(owner))
	for i := 0; i < len(owner); i++ {
		c := owner[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case ok:
			b = append(b, c)
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	if name := strings.Trim(string(b), "-"); name != "" {
		return name
	}
	return "service" // an owner made only of such characters
}
