// Package acl holds the pure decision logic of appmesh's access control:
// it parses policy rules written in HCL, compiles the policies of a token
// into an ACL, and answers "may this token do X in namespace N". It does no
// I/O and knows nothing of tokens, Raft or HTTP; the server resolves a token
// to its policies and asks here.
//
// # Rules
//
// A policy is a set of rules:
//
//	namespace "prod"  { policy = "write"  capabilities = ["submit-privileged-job"] }
//	namespace "dev-*" { policy = "read" }
//	node     { policy = "read" }
//	agent    { policy = "write" }
//	operator { policy = "read" }
//
// A namespace rule grants capabilities: its policy expands to a set
// (read = list-jobs, read-job; write = read plus submit-job, dispatch-job,
// read-logs, alloc-exec, alloc-lifecycle, run-command) and capabilities adds
// to it. "deny", as the policy or as a capability, grants nothing and wins
// over every grant for the same namespace pattern, from any policy.
// submit-privileged-job (jobs that can become root on a node) is never
// implied by write: it must be named.
//
// node, agent and operator rules take deny, read or write; write implies read.
//
// # Merging policies
//
// A token usually carries several policies. New merges them:
//   - namespace rules with the same name (pattern) are merged into one: the
//     union of their capabilities, or nothing at all if any of them denies;
//   - node, agent and operator take the strongest of deny > write > read.
//
// # Choosing the rule for a namespace
//
// Exactly one merged namespace rule applies to a request, so that a narrow
// rule can carve an exception out of a broad one ("*" read, "secret" deny):
//  1. a rule whose name equals the namespace wins;
//  2. otherwise the matching glob whose '*' match the fewest characters,
//     i.e. the one with the most literal characters ("prod-eu-*" beats
//     "prod-*", which beats "*");
//  3. ties go to the glob with the longer literal text before its first '*'
//     ("prod-*" beats "*-eu" for "prod-eu"), then to the smaller name in
//     byte order, so the answer never depends on the order of the rules.
//
// No rule matching means no capability. A deny therefore wins over grants of
// the same pattern only: a "*" deny in one policy does not cancel a "prod"
// grant in another, because the "prod" rule is the one that applies to
// "prod". The namespace "" means "default". A namespace name containing '*'
// is not a real namespace and is refused, except by Management (ask once
// per real namespace).
//
// # Deny by default
//
// A nil *ACL, an ACL of no policies and an unknown capability all deny.
// Only Management allows everything.
package acl
