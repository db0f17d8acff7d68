package structs

import (
	"fmt"
	"sort"
)

// Service providers: where a `service` block is registered.
const (
	// ServiceProviderConsul registers with the node's Consul agent (the
	// default, as before providers existed).
	ServiceProviderConsul = "consul"
	// ServiceProviderAppmesh registers in the servers' own catalog.
	ServiceProviderAppmesh = "appmesh"
	// ServiceProviderNomad is Nomad's name for its built-in catalog,
	// accepted as a synonym of ServiceProviderAppmesh.
	ServiceProviderNomad = "nomad"
)

// IsNative tells whether the service goes to the built-in catalog.
func (s *Service) IsNative() bool {
	return s != nil && (s.Provider == ServiceProviderAppmesh || s.Provider == ServiceProviderNomad)
}

// Statuses of a service instance in the built-in catalog.
const (
	ServiceStatusPassing  = "passing"
	ServiceStatusCritical = "critical"
)

// ServiceRegistrationRequestType upserts and deletes catalog entries.
const ServiceRegistrationRequestType MessageType = 50

func init() { messageTypeNames[ServiceRegistrationRequestType] = "service_registration" }

// RPC methods of the built-in catalog.
const (
	// ServiceUpsertRPC is a client's: it proves the node secret and
	// writes only registrations of allocations on its node.
	ServiceUpsertRPC = "ServiceRegistration.Upsert"
	// ServiceDeleteRPC removes one instance (an operator's clean-up).
	ServiceDeleteRPC = "ServiceRegistration.Delete"
	ServiceListRPC   = "ServiceRegistration.List"
	ServiceGetRPC    = "ServiceRegistration.GetService"
)

// ServiceRegistration is one instance of a service in the built-in
// catalog: one `service` block of one running allocation.
type ServiceRegistration struct {
	// ID is unique in the cluster: the workload key and the service name
	// (see client/consul.WorkloadKey), so a client can re-register
	// idempotently.
	ID          string `json:"id"`
	ServiceName string `json:"service_name"`
	Namespace   string `json:"namespace"`
	NodeID      string `json:"node_id"`
	Datacenter  string `json:"datacenter,omitempty"`
	JobID       string `json:"job_id"`
	AllocID     string `json:"alloc_id"`
	// JobVersion is the version of the job the allocation runs: traffic
	// splits pick instances by it (MeshSubset.JobVersion).
	JobVersion uint64   `json:"job_version"`
	Group      string   `json:"group,omitempty"`
	Task       string   `json:"task,omitempty"` // empty for a group's service
	Tags       []string `json:"tags,omitempty"`
	Address    string   `json:"address"`
	Port       int      `json:"port"`
	// Status is passing or critical: critical while a check fails or has
	// not passed yet; a service without checks is passing.
	Status      string `json:"status"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Copy returns a deep copy.
func (r *ServiceRegistration) Copy() *ServiceRegistration {
	if r == nil {
		return nil
	}
	c := *r
	c.Tags = append([]string(nil), r.Tags...)
	return &c
}

// Equal compares what a client sets (not the indexes).
func (r *ServiceRegistration) Equal(o *ServiceRegistration) bool {
	if r == nil || o == nil {
		return r == o
	}
	if len(r.Tags) != len(o.Tags) {
		return false
	}
	for i := range r.Tags {
		if r.Tags[i] != o.Tags[i] {
			return false
		}
	}
	return r.ID == o.ID && r.ServiceName == o.ServiceName && r.Namespace == o.Namespace &&
		r.NodeID == o.NodeID && r.Datacenter == o.Datacenter && r.JobID == o.JobID &&
		r.AllocID == o.AllocID && r.JobVersion == o.JobVersion && r.Group == o.Group && r.Task == o.Task &&
		r.Address == o.Address && r.Port == o.Port && r.Status == o.Status
}

// Validate checks what a client sends.
func (r *ServiceRegistration) Validate() error {
	if r == nil {
		return fmt.Errorf("service registration is empty")
	}
	v := &ValidationError{}
	if r.ID == "" {
		v.Add("", "id is required")
	}
	if !validServiceName.MatchString(r.ServiceName) {
		v.Add("", "service name %q is invalid: use letters, digits and '-' (a DNS label)", r.ServiceName)
	}
	if r.AllocID == "" {
		v.Add("", "alloc_id is required")
	}
	if r.Port < 0 || r.Port > 65535 {
		v.Add("", "port %d is out of range", r.Port)
	}
	if r.Status != ServiceStatusPassing && r.Status != ServiceStatusCritical {
		v.Add("", "status %q is invalid: use %q or %q", r.Status, ServiceStatusPassing, ServiceStatusCritical)
	}
	if err := v.ErrorOrNil(); err != nil {
		return fmt.Errorf("service registration %q: %w", r.ID, err)
	}
	return nil
}

// ServiceRegistrationEntry is the Raft entry of catalog writes: upserts
// and deletions by registration ID, applied in one transaction.
type ServiceRegistrationEntry struct {
	Upserts []*ServiceRegistration `json:"upserts,omitempty"`
	Deletes []string               `json:"deletes,omitempty"`
}

// ServiceUpsertRequest is a client's catalog sync: its current
// registrations and the IDs of those it removed.
type ServiceUpsertRequest struct {
	Services []*ServiceRegistration `json:"services,omitempty"`
	Deletes  []string               `json:"deletes,omitempty"`
	NodeID   string                 `json:"node_id"`
	SecretID string                 `json:"secret_id,omitempty"`
	WriteRequest
}

// ServiceDeleteRequest removes one instance of a service.
type ServiceDeleteRequest struct {
	ServiceName string `json:"service_name"`
	ID          string `json:"id"`
	WriteRequest
}

// ServiceListRequest lists the services of a namespace ("*": all the
// token may read).
type ServiceListRequest struct {
	QueryOptions
}

// ServiceStub summarises one service name of one namespace.
type ServiceStub struct {
	ServiceName string   `json:"service_name"`
	Namespace   string   `json:"namespace"`
	Tags        []string `json:"tags,omitempty"`
	// Instances counts every instance, Passing those whose checks pass.
	Instances int `json:"instances"`
	Passing   int `json:"passing"`
}

// ServiceListResponse lists services sorted by namespace and name.
type ServiceListResponse struct {
	Services []*ServiceStub `json:"services"`
	QueryMeta
}

// ServiceGetRequest reads the instances of one service. Only passing ones
// unless All; Tag keeps only instances carrying it.
type ServiceGetRequest struct {
	ServiceName string `json:"service_name"`
	Tag         string `json:"tag,omitempty"`
	All         bool   `json:"all,omitempty"`
	QueryOptions
}

// ServiceGetResponse holds the instances, sorted by address and port.
type ServiceGetResponse struct {
	Instances []*ServiceRegistration `json:"instances"`
	QueryMeta
}

// SummarizeServices groups instances into one stub per namespace and
// service name, with the union of their tags, sorted.
func SummarizeServices(regs []*ServiceRegistration) []*ServiceStub {
	type key struct{ ns, name string }
	stubs := map[key]*ServiceStub{}
	tags := map[key]map[string]bool{}
	for _, r := range regs {
		k := key{r.Namespace, r.ServiceName}
		s := stubs[k]
		if s == nil {
			s = &ServiceStub{ServiceName: r.ServiceName, Namespace: r.Namespace}
			stubs[k], tags[k] = s, map[string]bool{}
		}
		s.Instances++
		if r.Status == ServiceStatusPassing {
			s.Passing++
		}
		for _, t := range r.Tags {
			if !tags[k][t] {
				tags[k][t] = true
				s.Tags = append(s.Tags, t)
			}
		}
	}
	out := make([]*ServiceStub, 0, len(stubs))
	for _, s := range stubs {
		sort.Strings(s.Tags)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].ServiceName < out[j].ServiceName
	})
	return out
}
