package structs

import (
	"fmt"
	"regexp"
	"time"
)

// Intentions and traffic splits: their Raft entries, RPC arguments and
// the validation that endpoints and the CLI share. The types themselves
// (Intention, MeshSplit) are in mesh.go.

func init() {
	messageTypeNames[MeshIntentionRequestType] = "mesh_intention"
	messageTypeNames[MeshSplitRequestType] = "mesh_split"
}

// Ops of the mesh's Raft entries: one entry type each for intentions and
// splits, the op saying whether it writes or removes.
const (
	MeshOpUpsert = "upsert"
	MeshOpDelete = "delete"
)

// Values of Namespace.MeshDefaultAction.
const (
	MeshDefaultAllow = IntentionAllow
	MeshDefaultDeny  = IntentionDeny
)

// MeshDefaultAllows is the effective default policy of a namespace: its
// MeshDefaultAction when set, else allow without ACLs and deny with them
// (a cluster that enforces ACLs is closed unless told otherwise).
func MeshDefaultAllows(ns *Namespace, aclEnabled bool) bool {
	if ns != nil {
		switch ns.MeshDefaultAction {
		case MeshDefaultAllow:
			return true
		case MeshDefaultDeny:
			return false
		}
	}
	return !aclEnabled
}

// ValidateMeshDefaultAction checks a namespace's mesh_default_action.
func ValidateMeshDefaultAction(a string) error {
	if a == "" || a == MeshDefaultAllow || a == MeshDefaultDeny {
		return nil
	}
	return fmt.Errorf("mesh_default_action %q is invalid: use %q, %q or leave it unset", a, MeshDefaultAllow, MeshDefaultDeny)
}

// MeshIntentionEntry is the Raft entry of MeshIntentionRequestType.
type MeshIntentionEntry struct {
	Op string `json:"op"`
	// Intention to upsert; its ID is set by the leader. An intention with
	// the same source and destination as a stored one replaces it and
	// keeps the stored one's ID, unless CreateOnly refuses that.
	Intention  *Intention `json:"intention,omitempty"`
	CreateOnly bool       `json:"create_only,omitempty"`
	// DeleteID names the intention to delete.
	DeleteID string `json:"delete_id,omitempty"`
}

// MeshSplitEntry is the Raft entry of MeshSplitRequestType.
type MeshSplitEntry struct {
	Op    string     `json:"op"`
	Split *MeshSplit `json:"split,omitempty"`
	// Namespace and Service name the split to delete.
	Namespace string `json:"namespace,omitempty"`
	Service   string `json:"service,omitempty"`
}

// IntentionUpsertRequest creates or replaces an intention.
type IntentionUpsertRequest struct {
	Intention *Intention `json:"intention"`
	// CreateOnly refuses to replace an intention with the same source and
	// destination (the CLI without -replace).
	CreateOnly bool `json:"create_only,omitempty"`
	WriteRequest
}

// IntentionUpsertResponse returns the stored intention (with its ID).
type IntentionUpsertResponse struct {
	Intention *Intention `json:"intention"`
	WriteMeta
}

// IntentionDeleteRequest deletes one intention by ID, or by its source and
// destination when ID is empty.
type IntentionDeleteRequest struct {
	ID                   string `json:"id,omitempty"`
	SourceNamespace      string `json:"source_namespace,omitempty"`
	SourceName           string `json:"source_name,omitempty"`
	DestinationNamespace string `json:"destination_namespace,omitempty"`
	DestinationName      string `json:"destination_name,omitempty"`
	WriteRequest
}

// IntentionListRequest lists the intentions whose destination is in the
// request's namespace (or "*" of any namespace); "*" in the namespace
// lists all the token may read. ID, when set, returns just that one.
type IntentionListRequest struct {
	ID string `json:"id,omitempty"`
	QueryOptions
}

// IntentionListResponse holds intentions sorted by precedence (highest
// first), then source and destination, and the effective default policy
// of each namespace listed (for MeshProxyConfig.DefaultAllow).
type IntentionListResponse struct {
	Intentions   []*Intention    `json:"intentions"`
	DefaultAllow map[string]bool `json:"default_allow"`
	QueryMeta
}

// IntentionCheckRequest asks whether Source may connect to Destination.
type IntentionCheckRequest struct {
	SourceNamespace      string `json:"source_namespace"`
	SourceName           string `json:"source_name"`
	DestinationNamespace string `json:"destination_namespace"`
	DestinationName      string `json:"destination_name"`
	QueryOptions
}

// IntentionCheckResponse is the decision with its reason: the intention
// that decided, or ByDefault with the destination namespace's default.
type IntentionCheckResponse struct {
	Allowed      bool       `json:"allowed"`
	Intention    *Intention `json:"intention,omitempty"`
	ByDefault    bool       `json:"by_default"`
	DefaultAllow bool       `json:"default_allow"`
	Reason       string     `json:"reason"`
	QueryMeta
}

// SplitUpsertRequest creates or replaces the split of a service.
type SplitUpsertRequest struct {
	Split *MeshSplit `json:"split"`
	WriteRequest
}

// SplitDeleteRequest deletes the split of a service of the request's
// namespace.
type SplitDeleteRequest struct {
	Service string `json:"service"`
	WriteRequest
}

// SplitListRequest lists the splits of the request's namespace ("*": all
// the token may read); Service, when set, only that service's.
type SplitListRequest struct {
	Service string `json:"service,omitempty"`
	QueryOptions
}

// SplitListResponse holds splits sorted by namespace and service.
type SplitListResponse struct {
	Splits []*MeshSplit `json:"splits"`
	QueryMeta
}

// ValidMeshServiceName tells whether name is a valid service name (a DNS
// label), as the catalog requires.
func ValidMeshServiceName(name string) bool { return validServiceName.MatchString(name) }

// validMeshNamespace is the shape of a namespace name (as the state checks
// it when a namespace is written).
var validMeshNamespace = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

// ValidMeshNamespace tells whether ns has the shape of a namespace name.
func ValidMeshNamespace(ns string) bool { return validMeshNamespace.MatchString(ns) }

// MaxMeshRouteTimeout bounds a route's timeout: longer belongs to the
// service, not to the proxy.
const MaxMeshRouteTimeout = 10 * time.Minute

// MaxMeshRouteRetries bounds a route's retries.
const MaxMeshRouteRetries = 10

// Bounds of a split's size: every proxy calling the service holds it.
const (
	MaxMeshSubsets = 32
	MaxMeshRoutes  = 64
)

// Validate checks a split as a user wrote it and reports every problem.
func (s *MeshSplit) Validate() error {
	if s == nil {
		return &ValidationError{Problems: []string{"split is missing"}}
	}
	v := &ValidationError{}
	if !ValidMeshServiceName(s.Service) {
		v.Add("service", "%q is invalid: use letters, digits and '-' (a DNS label)", s.Service)
	}
	if s.Namespace != "" && !ValidMeshNamespace(s.Namespace) {
		v.Add("namespace", "%q is invalid: use 1 to 128 letters, digits, '-' or '_'", s.Namespace)
	}
	if len(s.Subsets) == 0 {
		v.Add("subsets", "at least one subset is required")
	}
	if len(s.Subsets) > MaxMeshSubsets || len(s.Routes) > MaxMeshRoutes {
		v.Add("", "%d subsets and %d routes are too many (limits %d and %d)", len(s.Subsets), len(s.Routes), MaxMeshSubsets, MaxMeshRoutes)
	}
	names := map[string]bool{}
	total := 0
	for i, sub := range s.Subsets {
		where := fmt.Sprintf("subset %d", i+1)
		if sub == nil {
			v.Add(where, "is empty")
			continue
		}
		if sub.Name != "" {
			where = fmt.Sprintf("subset %q", sub.Name)
		}
		switch {
		case !ValidMeshServiceName(sub.Name):
			v.Add(where, "name is missing or invalid: use letters, digits and '-'")
		case names[sub.Name]:
			v.Add(where, "name is used by another subset: subset names must be unique")
		}
		names[sub.Name] = true
		if sub.Weight < 0 || sub.Weight > 100 {
			v.Add(where, "weight %d is out of range: use 0 to 100", sub.Weight)
		}
		total += sub.Weight
		for _, t := range sub.Tags {
			if t == "" {
				v.Add(where, "a tag is empty")
			}
		}
	}
	if len(s.Subsets) > 0 && total != 100 {
		v.Add("subsets", "weights add up to %d: they must add up to 100", total)
	}
	for i, r := range s.Routes {
		validateMeshRoute(v, fmt.Sprintf("route %d", i+1), r, names)
	}
	return v.ErrorOrNil()
}

func validateMeshRoute(v *ValidationError, where string, r *MeshRoute, subsets map[string]bool) {
	if r == nil {
		v.Add(where, "is empty")
		return
	}
	if r.Subset == "" {
		v.Add(where, "subset is required")
	} else if !subsets[r.Subset] {
		v.Add(where, "subset %q is not defined in this split", r.Subset)
	}
	if r.PathPrefix != "" && r.PathPrefix[0] != '/' {
		v.Add(where, "path_prefix %q must start with '/'", r.PathPrefix)
	}
	for k := range r.Headers {
		if k == "" {
			v.Add(where, "a header name is empty")
		}
	}
	if r.Retries < 0 || r.Retries > MaxMeshRouteRetries {
		v.Add(where, "retries %d is out of range: use 0 to %d", r.Retries, MaxMeshRouteRetries)
	}
	if r.Timeout < 0 || time.Duration(r.Timeout) > MaxMeshRouteTimeout {
		v.Add(where, "timeout %s is out of range: use 0 (none) up to %s", time.Duration(r.Timeout), MaxMeshRouteTimeout)
	}
}

// Copy returns a deep copy of the split.
func (s *MeshSplit) Copy() *MeshSplit {
	if s == nil {
		return nil
	}
	c := *s
	c.Subsets = make([]*MeshSubset, 0, len(s.Subsets))
	for _, sub := range s.Subsets {
		if sub == nil {
			continue
		}
		sc := *sub
		sc.Tags = append([]string(nil), sub.Tags...)
		if sub.JobVersion != nil {
			v := *sub.JobVersion
			sc.JobVersion = &v
		}
		c.Subsets = append(c.Subsets, &sc)
	}
	c.Routes = nil
	for _, r := range s.Routes {
		if r == nil {
			continue
		}
		rc := *r
		if r.Headers != nil {
			rc.Headers = make(map[string]string, len(r.Headers))
			for k, val := range r.Headers {
				rc.Headers[k] = val
			}
		}
		c.Routes = append(c.Routes, &rc)
	}
	return &c
}
