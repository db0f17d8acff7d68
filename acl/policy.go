package acl

// Policy dispositions used in rules.
const (
	PolicyDeny  = "deny"
	PolicyRead  = "read"
	PolicyWrite = "write"
)

// Namespace capabilities.
const (
	CapabilityDeny           = "deny"
	CapabilityListJobs       = "list-jobs"
	CapabilityReadJob        = "read-job"
	CapabilitySubmitJob      = "submit-job"
	CapabilityDispatchJob    = "dispatch-job"
	CapabilityReadLogs       = "read-logs"
	CapabilityAllocExec      = "alloc-exec"
	CapabilityAllocLifecycle = "alloc-lifecycle"
	CapabilityRunCommand     = "run-command"
	// CapabilityScaleJob changes a group's count (job scale) without the
	// right to submit a new specification.
	CapabilityScaleJob = "scale-job"
	// CapabilitySubmitPrivilegedJob is needed, on top of submit-job or
	// run-command, for jobs that can become root on a node (raw_exec, user
	// root or no user, privileged docker, host bind mounts). It is never
	// implied by "write", so that granting write to a team does not hand
	// it the nodes.
	CapabilitySubmitPrivilegedJob = "submit-privileged-job"
)

// Policy is the parsed form of one policy's rules.
type Policy struct {
	Namespaces []*NamespaceRule
	// Node, Agent and Operator are "", PolicyDeny, PolicyRead or PolicyWrite.
	Node, Agent, Operator string
}

// NamespaceRule grants capabilities in the namespaces its name matches.
type NamespaceRule struct {
	// Name is an exact namespace name or a glob with '*' ("prod-*", "*").
	Name string
	// Policy is "", PolicyDeny, PolicyRead or PolicyWrite.
	Policy string
	// Capabilities are granted on top of Policy; CapabilityDeny denies all.
	Capabilities []string
}

// capSet is a set of namespace capabilities, one bit each, so that the check
// made on every request is a map lookup and an AND.
type capSet uint16

// allCapabilities lists the capabilities in the order ValidCapabilities and
// error messages show them; a capability's bit is 1 << its index (deny has
// none: it is not granted, it removes).
var allCapabilities = []string{
	CapabilityDeny,
	CapabilityListJobs,
	CapabilityReadJob,
	CapabilitySubmitJob,
	CapabilityDispatchJob,
	CapabilityReadLogs,
	CapabilityAllocExec,
	CapabilityAllocLifecycle,
	CapabilityRunCommand,
	CapabilitySubmitPrivilegedJob,
	CapabilityScaleJob,
}

// validPolicies lists the dispositions, for error messages.
var validPolicies = []string{PolicyDeny, PolicyRead, PolicyWrite}

// ValidCapabilities returns every namespace capability, "deny" first.
func ValidCapabilities() []string {
	return append([]string(nil), allCapabilities...)
}

// capBit returns a grantable capability's bit, and false for "deny" and
// for unknown names (which therefore grant nothing and allow nothing).
func capBit(capability string) (capSet, bool) {
	switch capability {
	case CapabilityListJobs:
		return 1 << 1, true
	case CapabilityReadJob:
		return 1 << 2, true
	case CapabilitySubmitJob:
		return 1 << 3, true
	case CapabilityDispatchJob:
		return 1 << 4, true
	case CapabilityReadLogs:
		return 1 << 5, true
	case CapabilityAllocExec:
		return 1 << 6, true
	case CapabilityAllocLifecycle:
		return 1 << 7, true
	case CapabilityRunCommand:
		return 1 << 8, true
	case CapabilitySubmitPrivilegedJob:
		return 1 << 9, true
	case CapabilityScaleJob:
		return 1 << 10, true
	}
	return 0, false
}

func capsOf(names ...string) capSet {
	var s capSet
	for _, n := range names {
		b, _ := capBit(n)
		s |= b
	}
	return s
}

// Capabilities a namespace policy expands to.
var (
	readCaps  = capsOf(CapabilityListJobs, CapabilityReadJob)
	writeCaps = readCaps | capsOf(CapabilitySubmitJob, CapabilityDispatchJob,
		CapabilityReadLogs, CapabilityAllocExec, CapabilityAllocLifecycle,
		CapabilityRunCommand, CapabilityScaleJob)
)

func isValidCapability(c string) bool {
	_, ok := capBit(c)
	return ok || c == CapabilityDeny
}

func isValidPolicy(p string) bool {
	return p == PolicyDeny || p == PolicyRead || p == PolicyWrite
}
