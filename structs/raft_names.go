package structs

import "strconv"

// messageTypeNames names the Raft message types for metrics labels and
// logs. A type missing here (added later by another feature) reads as
// "type_N", which keeps the label set bounded.
var messageTypeNames = map[MessageType]string{
	NodeRegisterRequestType:      "node_register",
	NodeUpdateStatusRequestType:  "node_update_status",
	JobRegisterRequestType:       "job_register",
	JobDeregisterRequestType:     "job_deregister",
	EvalUpdateRequestType:        "eval_update",
	AllocClientUpdateRequestType: "alloc_client_update",
	ApplyPlanResultsRequestType:  "apply_plan_results",
	EvalDeleteRequestType:        "eval_delete",
	NodeDeregisterRequestType:    "node_deregister",
	NodeUpdateRequestType:        "node_update",
	PeriodicLaunchRequestType:    "periodic_launch",
	JobRolloutRequestType:        "job_rollout",
	ApplyPlanBatchRequestType:    "apply_plan_batch",
	ACLPolicyUpsertRequestType:   "acl_policy_upsert",
	ACLPolicyDeleteRequestType:   "acl_policy_delete",
	ACLTokenUpsertRequestType:    "acl_token_upsert",
	ACLTokenDeleteRequestType:    "acl_token_delete",
	ACLBootstrapRequestType:      "acl_bootstrap",
	ACLRoleUpsertRequestType:     "acl_role_upsert",
	ACLRoleDeleteRequestType:     "acl_role_delete",
	NamespaceUpsertRequestType:   "namespace_upsert",
	NamespaceDeleteRequestType:   "namespace_delete",

	ACLUserUpsertRequestType:        "acl_user_upsert",
	ACLUserDeleteRequestType:        "acl_user_delete",
	ACLSigningKeysRequestType:       "acl_signing_keys",
	ACLAuthMethodUpsertRequestType:  "acl_auth_method_upsert",
	ACLAuthMethodDeleteRequestType:  "acl_auth_method_delete",
	ACLBindingRuleUpsertRequestType: "acl_binding_rule_upsert",
	ACLBindingRuleDeleteRequestType: "acl_binding_rule_delete",
	CoreGCRequestType:               "core_gc",
	NodePurgeRequestType:            "node_purge",
}

// String names the message type (without IgnoreUnknownTypeFlag).
func (t MessageType) String() string {
	t &^= IgnoreUnknownTypeFlag
	if n, ok := messageTypeNames[t]; ok {
		return n
	}
	return "type_" + strconv.Itoa(int(t))
}
