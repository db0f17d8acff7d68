package server

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// rpcRules is the access rule of every RPC method. authorizeRPC refuses a
// method that is not listed, and TestRPCDoors walks every registered
// method, so adding an endpoint means adding its rule here.
var rpcRules = map[string]rpcRule{
	// Jobs.
	structs.JobRegisterRPC:       withLeast(checkJobRegister, leastSubmitJob),
	structs.JobDeregisterRPC:     withLeast(checkJobDeregister, leastSubmitJob),
	structs.JobGetJobRPC:         nsRule(acl.CapabilityReadJob),
	structs.JobGetVersionRPC:     nsRule(acl.CapabilityReadJob),
	"Job.GetVersions":            nsRule(acl.CapabilityReadJob),
	structs.JobListRPC:           listRule(acl.CapabilityListJobs),
	structs.JobAllocationsRPC:    nsRule(acl.CapabilityReadJob),
	structs.JobEvaluationsRPC:    nsRule(acl.CapabilityReadJob),
	"Job.Plan":                   withLeast(checkJobPlan, leastSubmitJob),
	"Job.Revert":                 withLeast(checkJobRevert, leastSubmitJob),
	structs.JobDispatchRPC:       nsRule(acl.CapabilityDispatchJob),
	structs.JobPeriodicForceRPC:  nsRule(acl.CapabilitySubmitJob),
	structs.JobPeriodicStatusRPC: nsRule(acl.CapabilityReadJob),
	structs.JobScaleRPC:          withLeast(checkJobScale, nsGrant(acl.CapabilityScaleJob)),

	// Deployments (endpoint_deployment.go): reading is read-job, acting
	// on one (promote, fail, set health) is submit-job, as in Nomad. The
	// endpoints look deployments up only in the request's namespace.
	structs.DeploymentListRPC:        listRule(acl.CapabilityReadJob),
	structs.DeploymentGetRPC:         nsRule(acl.CapabilityReadJob),
	structs.DeploymentPromoteRPC:     nsRule(acl.CapabilitySubmitJob),
	structs.DeploymentFailRPC:        nsRule(acl.CapabilitySubmitJob),
	structs.DeploymentAllocHealthRPC: nsRule(acl.CapabilitySubmitJob),

	// Allocations and evaluations.
	structs.AllocListRPC: listRule(acl.CapabilityReadJob),
	structs.AllocGetAllocRPC: withLeast(func(r *authRequest) error {
		return r.allocNamespace(r.args.(*structs.AllocSpecificRequest).AllocID, acl.CapabilityReadJob)
	}, leastReadJob),
	structs.AllocStopRPC: withLeast(func(r *authRequest) error {
		return r.allocNamespace(r.args.(*structs.AllocStopRequest).AllocID, acl.CapabilityAllocLifecycle)
	}, nsGrant(acl.CapabilityAllocLifecycle)),
	structs.AllocGetAllocsRPC: nodeRule(acl.PolicyRead),
	structs.EvalListRPC:       listRule(acl.CapabilityReadJob),
	structs.EvalGetEvalRPC:    withLeast(checkEvalRead, leastReadJob),

	// Nodes: the node-scoped calls of a client prove the node's secret,
	// which their endpoints check (endpoint_node.go).
	structs.NodeRegisterRPC:     {nodeSecret: true},
	structs.NodeHeartbeatRPC:    {nodeSecret: true},
	structs.NodeGetClientAllocs: {nodeSecret: true},
	structs.NodeUpdateAllocRPC:  {nodeSecret: true},
	structs.NodeGetNodeRPC:      nodeRule(acl.PolicyRead),
	structs.NodeListRPC:         nodeRule(acl.PolicyRead),
	"Node.UpdateEligibility":    nodeRule(acl.PolicyWrite),
	"Node.UpdateDrain":          nodeRule(acl.PolicyWrite),
	"Node.ClientCall":           {check: checkClientCall},
	structs.NodePurgeRPC:        nodeRule(acl.PolicyWrite),

	// Workload identities (identity_sign.go): the endpoint also checks
	// that the allocation is on the calling node.
	structs.NodeSignIdentitiesRPC: {nodeSecret: true},

	// Cluster status is open: servers ask each other for peers before a
	// cluster (and so any token) exists, and the answers are addresses.
	structs.StatusLeaderRPC: {open: true},
	structs.StatusPeersRPC:  {open: true},
	"Status.Members":        {open: true},

	"Operator.RaftGetConfiguration": operatorRule(acl.PolicyRead),
	"Operator.RaftRemovePeer":       operatorRule(acl.PolicyWrite),
	"Operator.ForceLeave":           operatorRule(acl.PolicyWrite),
	// A forced collection deletes history cluster-wide: operator write.
	structs.SystemGCRPC: operatorRule(acl.PolicyWrite),
	// The keys are secrets: listing them is as sensitive as changing them.
	structs.KeyringRPC: agentRule(acl.PolicyWrite),

	// ACLs. Bootstrap is open: it works once (or after the documented
	// reset), and the endpoint refuses every other call.
	structs.ACLBootstrapRPC:      {open: true},
	structs.ACLUpsertPoliciesRPC: managementRule("write ACL policies"),
	structs.ACLDeletePoliciesRPC: managementRule("delete ACL policies"),
	structs.ACLListPoliciesRPC:   anyTokenRule, // filtered to the token's own
	structs.ACLGetPolicyRPC:      anyTokenRule, // the token's own, or management
	structs.ACLUpsertTokensRPC:   managementRule("create or update ACL tokens"),
	structs.ACLDeleteTokensRPC:   managementRule("delete ACL tokens"),
	structs.ACLListTokensRPC:     managementRule("list ACL tokens"),
	structs.ACLGetTokenRPC:       managementRule("read ACL tokens"),
	structs.ACLTokenSelfRPC:      anyTokenRule,
	structs.ACLUpsertRolesRPC:    managementRule("write ACL roles"),
	structs.ACLDeleteRolesRPC:    managementRule("delete ACL roles"),
	structs.ACLListRolesRPC:      anyTokenRule, // filtered to the token's own
	structs.ACLGetRoleRPC:        anyTokenRule, // the token's own, or management
	structs.ACLAuthorizeRPC:      anyTokenRule, // the endpoint is the check

	// Users and login (login_rules.go). Login and refresh are open: they
	// prove a password (with lockout) or a refresh token, and the agents
	// rate-limit them; the JWKS holds public keys only.
	structs.ACLLoginRPC:        {open: true},
	structs.ACLLoginRefreshRPC: {open: true},
	structs.ACLPublicKeysRPC:   {open: true},
	// Logout and renew act only on the caller's own login session, which
	// the endpoint finds from the request's JWT.
	structs.ACLLogoutRPC:            anyTokenRule,
	structs.ACLLoginRenewRPC:        anyTokenRule,
	structs.ACLUpsertUserRPC:        managementRule("create or update users"),
	structs.ACLDeleteUserRPC:        managementRule("delete users"),
	structs.ACLListUsersRPC:         managementRule("list users"),
	structs.ACLSetUserLockRPC:       managementRule("lock or unlock users"),
	structs.ACLTOTPDisableRPC:       managementRule("turn off a user's TOTP"),
	structs.ACLGetUserRPC:           selfOrManagement(func(a any) string { return a.(*structs.ACLSpecificRequest).Name }),
	structs.ACLSetUserPasswordRPC:   selfOrManagement(func(a any) string { return a.(*structs.ACLUserPasswordRequest).Name }),
	structs.ACLTOTPEnrollRPC:        selfOrManagement(func(a any) string { return a.(*structs.ACLTOTPRequest).Name }),
	structs.ACLTOTPConfirmRPC:       selfOrManagement(func(a any) string { return a.(*structs.ACLTOTPRequest).Name }),
	structs.ACLRotateSigningKeyRPC:  managementRule("rotate the login signing key"),
	structs.ACLListSigningKeysRPC:   managementRule("list login signing keys"),
	structs.ACLUpsertAuthMethodRPC:  managementRule("write auth methods"),
	structs.ACLDeleteAuthMethodRPC:  managementRule("delete auth methods"),
	structs.ACLListAuthMethodsRPC:   managementRule("list auth methods"),
	structs.ACLGetAuthMethodRPC:     managementRule("read auth methods"),
	structs.ACLUpsertBindingRuleRPC: managementRule("write binding rules"),
	structs.ACLDeleteBindingRuleRPC: managementRule("delete binding rules"),
	structs.ACLListBindingRulesRPC:  managementRule("list binding rules"),
	structs.ACLGetBindingRuleRPC:    managementRule("read binding rules"),

	// Namespaces.
	structs.NamespaceUpsertRPC: managementRule("create or update namespaces"),
	structs.NamespaceDeleteRPC: managementRule("delete namespaces"),
	structs.NamespaceListRPC:   anyTokenRule, // filtered to what the token may see
	// Any capability in the namespace reads it: list-jobs is the least.
	structs.NamespaceGetRPC: withLeast(func(r *authRequest) error {
		name := r.args.(*structs.NamespaceSpecificRequest).Name
		if r.acl.AllowNamespace(name) {
			return nil
		}
		return fmt.Errorf("%w: needs any capability in namespace %q", acl.ErrPermissionDenied, namespaceOf(name))
	}, nsGrant(acl.CapabilityListJobs)),
}

// checkJobRegister: submit-job (run-command for remote runs) in the job's
// namespace, and submit-privileged-job for a job that can become root on
// a node.
func checkJobRegister(r *authRequest) error {
	args := r.args.(*structs.JobRegisterRequest)
	return checkJobSubmit(r, args.Job, args.Namespace)
}

// checkJobScale allows scale-job, or submit-job which may change the
// count by registering the job anyway.
// A refusal names scale-job, the least that would do.
func checkJobScale(r *authRequest) error {
	err := r.acl.CheckNamespace(r.namespace(), acl.CapabilityScaleJob)
	if err == nil || r.acl.CheckNamespace(r.namespace(), acl.CapabilitySubmitJob) == nil {
		return nil
	}
	return err
}

func checkJobPlan(r *authRequest) error {
	args := r.args.(*structs.JobPlanRequest)
	return checkJobSubmit(r, args.Job, args.Namespace)
}

func checkJobSubmit(r *authRequest, job *structs.Job, argNS string) error {
	if job == nil {
		return r.acl.CheckNamespace(r.namespace(), acl.CapabilitySubmitJob)
	}
	ns := argNS
	if ns == "" {
		ns = namespaceOf(job.Namespace)
	}
	capability := acl.CapabilitySubmitJob
	if structs.IsRunJob(job) {
		capability = acl.CapabilityRunCommand
	}
	if err := r.acl.CheckNamespace(ns, capability); err != nil {
		return err
	}
	if reasons := job.PrivilegedReasons(); len(reasons) > 0 {
		if err := r.acl.CheckNamespace(ns, acl.CapabilitySubmitPrivilegedJob); err != nil {
			return fmt.Errorf("%w (%s)", err, strings.Join(reasons, "; "))
		}
	}
	return nil
}

// checkJobDeregister: submit-job, or a client agent stopping the job of
// one of its own allocations (the "remove" exit action).
func checkJobDeregister(r *authRequest) error {
	args := r.args.(*structs.JobDeregisterRequest)
	if r.token == nil || r.token.Type != structs.ACLTokenTypeNode {
		return r.acl.CheckNamespace(r.namespace(), acl.CapabilitySubmitJob)
	}
	allocs, err := r.srv.State().AllocsByJob(nil, r.namespace(), args.JobID)
	if err != nil {
		return err
	}
	for _, al := range allocs {
		if al.NodeID == r.token.AccessorID {
			return nil
		}
	}
	return fmt.Errorf("Permission denied: node %s runs no allocation of job %q", structs.ShortID(r.token.AccessorID), args.JobID)
}

// checkJobRevert: reverting submits an older version again, so that
// version is checked as a submission (a privileged version needs
// submit-privileged-job). An unknown version is the endpoint's to refuse.
func checkJobRevert(r *authRequest) error {
	args := r.args.(*structs.JobRevertRequest)
	old, err := r.srv.State().JobByIDAndVersion(nil, r.namespace(), args.JobID, args.Version)
	if err != nil {
		return err
	}
	if old == nil {
		return r.acl.CheckNamespace(r.namespace(), acl.CapabilitySubmitJob)
	}
	return checkJobSubmit(r, old, r.ns)
}

func checkEvalRead(r *authRequest) error {
	id := r.args.(*structs.EvalSpecificRequest).EvalID
	eval, err := r.srv.State().EvalByID(nil, id)
	if err != nil {
		return err
	}
	if eval == nil {
		return r.acl.CheckNamespace(r.namespace(), acl.CapabilityReadJob)
	}
	return r.acl.CheckNamespace(eval.Namespace, acl.CapabilityReadJob)
}

// clientOpCapability is what each relayed allocation operation needs.
var clientOpCapability = map[string]string{
	structs.ClientOpSignal:  acl.CapabilityAllocLifecycle,
	structs.ClientOpRestart: acl.CapabilityAllocLifecycle,
	structs.ClientOpExec:    acl.CapabilityAllocExec,
	structs.ClientOpStats:   acl.CapabilityReadJob,
}

// checkClientCall lets an operation through only for an allocation that
// exists, runs on the node the call goes to, is the allocation the body
// acts on, and whose namespace grants the operation's capability.
func checkClientCall(r *authRequest) error {
	args := r.args.(*structs.ClientCallRequest)
	if r.acl.IsManagement() {
		return nil // ACLs off, or a management token: the node answers
	}
	capability, ok := clientOpCapability[args.Op]
	if !ok {
		return fmt.Errorf("Permission denied: unknown client operation %q", args.Op)
	}
	var body struct {
		AllocID string `json:"alloc_id"`
	}
	if err := json.Unmarshal(args.Body, &body); err != nil || body.AllocID != args.AllocID {
		return fmt.Errorf("Permission denied: the operation's allocation does not match the call's")
	}
	alloc, err := r.srv.State().AllocByID(nil, args.AllocID)
	if err != nil {
		return err
	}
	if alloc == nil {
		return fmt.Errorf("allocation %q: %w", args.AllocID, structs.ErrNotFound)
	}
	if alloc.NodeID != args.NodeID {
		return fmt.Errorf("Permission denied: allocation %s does not run on node %s", structs.ShortID(args.AllocID), structs.ShortID(args.NodeID))
	}
	return r.acl.CheckNamespace(alloc.Namespace, capability)
}
