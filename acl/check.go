package acl

// The Check methods are the Allow methods with an error that says what was
// missing, ready to be sent back to the caller (as a 403 over HTTP).

// CheckNamespace returns nil if capability is granted in ns.
func (a *ACL) CheckNamespace(ns, capability string) error {
	if a.AllowNamespaceOperation(ns, capability) {
		return nil
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	return &PermissionDeniedError{Capability: capability, Namespace: ns}
}

// CheckNode returns nil if the node rule grants access (PolicyRead or
// PolicyWrite). Any other access is refused: a caller's typo must not open
// a door.
func (a *ACL) CheckNode(access string) error {
	return a.checkCoarse("node", access, a.AllowNodeRead, a.AllowNodeWrite)
}

// CheckAgent is CheckNode for the agent rule.
func (a *ACL) CheckAgent(access string) error {
	return a.checkCoarse("agent", access, a.AllowAgentRead, a.AllowAgentWrite)
}

// CheckOperator is CheckNode for the operator rule.
func (a *ACL) CheckOperator(access string) error {
	return a.checkCoarse("operator", access, a.AllowOperatorRead, a.AllowOperatorWrite)
}

func (a *ACL) checkCoarse(rule, access string, read, write func() bool) error {
	ok := false
	switch access {
	case PolicyRead:
		ok = read()
	case PolicyWrite:
		ok = write()
	}
	if ok {
		return nil
	}
	return &PermissionDeniedError{Rule: rule, Access: access}
}

// CheckManagement returns nil for a management ACL. what names the action
// for the message, e.g. "bootstrap the ACL system"; it may be empty.
func (a *ACL) CheckManagement(what string) error {
	if a.IsManagement() {
		return nil
	}
	return &PermissionDeniedError{Rule: RuleManagement, What: what}
}
