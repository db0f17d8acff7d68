package appmeshapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// An application with a selector is a cluster application: App Mesh's REST
// application has no placement fields (its cluster applications live in
// Consul KV, server/consul_tasks_appmesh.go), so appmesh accepts the same
// two fields as App Mesh's Consul task format in the REST body as its own
// extension: "condition" (node labels to match, wildcards allowed) and
// "replication" (how many copies, each on its own node, 1 by default).
// Such an application is a job not pinned to the receiving agent's node.

// Job meta keys of a cluster application, kept as sent for GET.
const (
	MetaCondition   = "appmesh.app.condition" // JSON object
	MetaReplication = "appmesh.app.replication"
)

// HostNameLabel is App Mesh's built-in label holding the host name: a
// condition on it is a condition on the node's name.
const HostNameLabel = "HOST_NAME"

// maxReplication bounds replication: a typo should not place thousands.
const maxReplication = 1000

// IsCluster reports whether the application carries a selector.
func (a *App) IsCluster() bool { return len(a.Condition) > 0 || a.Replication > 0 }

// IsClusterJob reports whether a job is a cluster application.
func IsClusterJob(j *structs.Job) bool {
	return j != nil && (j.Meta[MetaCondition] != "" || j.Meta[MetaReplication] != "")
}

func (a *App) setCondition(v json.RawMessage) error {
	if err := json.Unmarshal(v, &a.Condition); err != nil {
		return fmt.Errorf("must be an object of label name to value (wildcards * and ? allowed): %w", err)
	}
	return CheckCondition(a.Condition)
}

// conditionKey is what a condition key may be: it is used inside
// ${meta.<key>}, so nothing that could end or nest the interpolation.
var conditionKey = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`)

// CheckCondition refuses a condition whose key could not be a label (the
// key goes into a constraint's ${meta.<key>}), in key order.
func CheckCondition(cond map[string]string) error {
	keys := make([]string, 0, len(cond))
	for k := range cond {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !conditionKey.MatchString(k) {
			return fmt.Errorf("condition key %q: use letters, digits, '_', '.' or '-'", k)
		}
	}
	return nil
}

func (a *App) setReplication(v json.RawMessage) error {
	var n int
	if err := json.Unmarshal(v, &n); err != nil || n < 1 || n > maxReplication {
		return fmt.Errorf("must be an integer from 1 to %d, got %s", maxReplication, v)
	}
	a.Replication = n
	return nil
}

// replication is the number of copies, 1 unless set.
func (a *App) replication() int {
	if a.Replication > 0 {
		return a.Replication
	}
	return 1
}

// toClusterJob places the job by the selector: copies on distinct hosts,
// constraints from the condition, and the settings kept for GET.
func (a *App) toClusterJob(job *structs.Job) error {
	g := job.Groups[0]
	if a.Enabled {
		g.Count = a.replication()
	}
	job.Meta[MetaReplication] = strconv.Itoa(a.replication())
	if len(a.Condition) > 0 {
		b, err := json.Marshal(a.Condition)
		if err != nil {
			return fmt.Errorf("field \"condition\": %w", err)
		}
		job.Meta[MetaCondition] = string(b)
	}
	g.Constraints = append(g.Constraints, &structs.Constraint{Operator: structs.ConstraintDistinctHosts, Value: "true"})
	g.Constraints = append(g.Constraints, ConditionConstraints(a.Condition)...)
	return nil
}

// JobReplication is a job's copies when enabled: its replication, 1 for
// an application pinned to one node.
func JobReplication(j *structs.Job) int {
	if n, err := strconv.Atoi(j.Meta[MetaReplication]); err == nil && n > 0 {
		return n
	}
	return 1
}

// viewCluster adds the selector to a cluster application's view.
func viewCluster(v map[string]any, j *structs.Job) {
	if !IsClusterJob(j) {
		return
	}
	cond := map[string]string{}
	_ = json.Unmarshal([]byte(j.Meta[MetaCondition]), &cond)
	v["condition"] = cond
	v["replication"] = JobReplication(j)
}

// ConditionConstraints turns App Mesh's condition into constraints, one
// per key, in key order (a stable job for a stable value). A key is a node
// label, which is appmesh's node meta, except App Mesh's HOST_NAME label,
// which is the node's name. A value matches as App Mesh matches it: equal,
// or as a wildcard pattern where '*' is any run of characters and '?' any
// one character; everything else in the value is literal.
func ConditionConstraints(cond map[string]string) []*structs.Constraint {
	keys := make([]string, 0, len(cond))
	for k := range cond {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*structs.Constraint, 0, len(keys))
	for _, k := range keys {
		out = append(out, conditionConstraint(k, cond[k]))
	}
	return out
}

func conditionConstraint(key, value string) *structs.Constraint {
	attr := "${meta." + key + "}"
	if key == HostNameLabel {
		attr = "${node.unique.name}"
	}
	if !strings.ContainsAny(value, "*?") {
		return &structs.Constraint{Attribute: attr, Operator: structs.ConstraintEqual, Value: value}
	}
	return &structs.Constraint{Attribute: attr, Operator: structs.ConstraintRegex, Value: WildcardRegexp(value)}
}

// WildcardRegexp is the anchored regular expression of an App Mesh
// wildcard pattern: '*' any run, '?' one character, every other character
// quoted, so a label value never injects regexp syntax.
func WildcardRegexp(pattern string) string {
	var b strings.Builder
	b.WriteString("^")
	lit := 0
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*', '?':
			b.WriteString(regexp.QuoteMeta(pattern[lit:i]))
			if pattern[i] == '*' {
				b.WriteString(".*")
			} else {
				b.WriteString(".")
			}
			lit = i + 1
		}
	}
	b.WriteString(regexp.QuoteMeta(pattern[lit:]))
	b.WriteString("$")
	return b.String()
}
