package appmeshapi

import (
	"fmt"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/acl"
)

// How a permission is granted in appmesh.
const (
	// GrantPolicy: by a policy (namespace capabilities in "default", node
	// or agent access), so an App Mesh role can hold it.
	GrantPolicy = ""
	// GrantAnyToken: any valid token, about its own user or token.
	GrantAnyToken = "any-token"
	// GrantManagement: only a management token (appmesh manages users and
	// roles with management tokens only); a role cannot hold it.
	GrantManagement = "management"
)

// Permission says what an App Mesh permission name is in appmesh: the
// namespace capabilities (in the application's namespace, "default"), node
// and agent access that grant it, or another way (Grant), and the
// /appmesh/ route it guards ("" none yet).
type Permission struct {
	Name         string
	Capabilities []string
	// Node and Agent are "", acl.PolicyRead or acl.PolicyWrite.
	Node, Agent string
	Grant       string
	// Route is the /appmesh/ route the permission guards ("" none yet).
	Route string
}

func caps(c ...string) []string { return c }

// Permissions maps App Mesh's permission names onto appmesh's ACLs.
// Every handler first reads the application's job (read-job), then does
// what the permission names. Every /appmesh/ route runs through appmesh's
// one ACL check; what is below is what that check asks for. Applications
// run with raw_exec, so registering and running them also needs
// submit-privileged-job (see website/job-spec.md#privileged-jobs).
var Permissions = []Permission{
	{Name: "app-view", Capabilities: caps(acl.CapabilityReadJob), Route: "GET /appmesh/app/{name}"},
	{Name: "app-view-all", Capabilities: caps(acl.CapabilityListJobs, acl.CapabilityReadJob), Route: "GET /appmesh/applications"},
	{Name: "app-output-view", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilityReadLogs), Route: "GET /appmesh/app/{name}/output"},
	{Name: "app-reg", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilitySubmitJob, acl.CapabilitySubmitPrivilegedJob), Route: "PUT /appmesh/app/{name}"},
	// Enabling registers the raw_exec job again, which also needs
	// submit-privileged-job; app-control does not give it, or it would
	// register any privileged job, as app-reg (TestHTTPDoorsLeastPrivilege).
	{Name: "app-control", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilitySubmitJob), Route: "POST /appmesh/app/{name}/enable|disable"},
	{Name: "app-delete", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilitySubmitJob), Route: "DELETE /appmesh/app/{name}"},
	{Name: "app-run-sync", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilityRunCommand, acl.CapabilitySubmitPrivilegedJob, acl.CapabilityReadLogs), Route: "POST /appmesh/app/syncrun"},
	{Name: "app-run-async", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilityRunCommand, acl.CapabilitySubmitPrivilegedJob), Route: "POST /appmesh/app/run"},
	{Name: "app-run-async-output", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilityReadLogs), Route: "GET /appmesh/app/{name}/output?process_uuid="},
	{Name: "app-run-task", Capabilities: caps(acl.CapabilityReadJob, acl.CapabilitySubmitJob)},
	{Name: "app-subscribe", Capabilities: caps(acl.CapabilityReadJob)},
	{Name: "host-resource-view", Node: acl.PolicyRead, Route: "GET /appmesh/resources"},
	{Name: "file-download", Agent: acl.PolicyRead, Route: "GET /appmesh/file/download"},
	{Name: "file-upload", Agent: acl.PolicyWrite, Route: "POST /appmesh/file/upload"},
	{Name: "label-view", Node: acl.PolicyRead, Route: "GET /appmesh/labels"},
	{Name: "label-set", Node: acl.PolicyWrite, Route: "PUT /appmesh/label/{name}"},
	{Name: "label-delete", Node: acl.PolicyWrite, Route: "DELETE /appmesh/label/{name}"},
	{Name: "config-view", Agent: acl.PolicyRead, Route: "GET /appmesh/config, GET /appmesh/metrics"},
	{Name: "config-set", Agent: acl.PolicyWrite, Route: "POST /appmesh/config"},
	{Name: "passwd-change-self", Grant: GrantAnyToken, Route: "POST /appmesh/user/self/passwd"},
	{Name: "passwd-change-user", Grant: GrantManagement, Route: "POST /appmesh/user/{name}/passwd"},
	{Name: "user-add", Grant: GrantManagement, Route: "PUT /appmesh/user/{name}"},
	{Name: "user-delete", Grant: GrantManagement, Route: "DELETE /appmesh/user/{name}"},
	{Name: "user-list", Grant: GrantManagement, Route: "GET /appmesh/users"},
	{Name: "user-lock", Grant: GrantManagement, Route: "POST /appmesh/user/{name}/lock"},
	{Name: "user-unlock", Grant: GrantManagement, Route: "POST /appmesh/user/{name}/unlock"},
	{Name: "user-totp-active", Grant: GrantAnyToken, Route: "POST /appmesh/totp/secret, /appmesh/totp/setup"},
	{Name: "user-totp-disable", Grant: GrantManagement, Route: "POST /appmesh/totp/{user}/disable"},
	{Name: "user-token-renew", Grant: GrantAnyToken, Route: "POST /appmesh/token/renew"},
	{Name: "role-view", Grant: GrantAnyToken, Route: "GET /appmesh/roles (the token's own roles; management: all)"},
	{Name: "role-set", Grant: GrantManagement, Route: "POST /appmesh/role/{name}"},
	{Name: "role-delete", Grant: GrantManagement, Route: "DELETE /appmesh/role/{name}"},
	{Name: "permission-list", Grant: GrantAnyToken, Route: "GET /appmesh/permissions, GET /appmesh/user/permissions"},
}

// PermissionByName finds a permission.
func PermissionByName(name string) (Permission, bool) {
	for _, p := range Permissions {
		if p.Name == name {
			return p, true
		}
	}
	return Permission{}, false
}

// PermissionNames lists every App Mesh permission name, sorted.
func PermissionNames() []string {
	out := make([]string, 0, len(Permissions))
	for _, p := range Permissions {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// RolePolicyPrefix names the policy that holds an App Mesh role's
// permissions: role "dev" is ACL role "dev" with policy "appmesh-role-dev".
const RolePolicyPrefix = "appmesh-role-"

// roleDescPrefix starts the description of a role's policy; the
// permission names follow, so the role reads back as App Mesh wrote it.
const roleDescPrefix = "App Mesh role permissions: "

// RolePolicy turns an App Mesh role's permission names into an ACL
// policy's rules and description. A permission only a management token
// has cannot be in a role: an error names it.
func RolePolicy(perms []string) (rules, description string, err error) {
	nsCaps := map[string]bool{}
	node, agent := "", ""
	seen := map[string]bool{}
	var names []string
	for _, name := range perms {
		p, ok := PermissionByName(name)
		if !ok {
			return "", "", fmt.Errorf("permission %q: unknown (GET /appmesh/permissions lists them)", name)
		}
		if p.Grant == GrantManagement {
			return "", "", fmt.Errorf("permission %q: appmesh grants it to management tokens only "+
				"(make the user a management user instead)", name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
		for _, c := range p.Capabilities {
			nsCaps[c] = true
		}
		node, agent = stronger(node, p.Node), stronger(agent, p.Agent)
	}
	sort.Strings(names)
	var b strings.Builder
	capList := make([]string, 0, len(nsCaps))
	for c := range nsCaps {
		capList = append(capList, fmt.Sprintf("%q", c))
	}
	sort.Strings(capList)
	// Always one namespace rule, so a role of any-token permissions
	// still has a policy that parses (it grants nothing).
	fmt.Fprintf(&b, "namespace \"default\" {\n  capabilities = [%s]\n}\n", strings.Join(capList, ", "))
	if node != "" {
		fmt.Fprintf(&b, "node {\n  policy = %q\n}\n", node)
	}
	if agent != "" {
		fmt.Fprintf(&b, "agent {\n  policy = %q\n}\n", agent)
	}
	return b.String(), roleDescPrefix + strings.Join(names, ","), nil
}

// RolePermissions reads the permission names back from a role policy's
// description; ok is false for a policy /appmesh/ did not write.
func RolePermissions(description string) ([]string, bool) {
	rest, ok := strings.CutPrefix(description, roleDescPrefix)
	if !ok {
		return nil, false
	}
	if rest == "" {
		return []string{}, true
	}
	return strings.Split(rest, ","), true
}

// stronger is the stronger of two node or agent accesses.
func stronger(a, b string) string {
	if a == acl.PolicyWrite || b == acl.PolicyWrite {
		return acl.PolicyWrite
	}
	if a == acl.PolicyRead || b == acl.PolicyRead {
		return acl.PolicyRead
	}
	return ""
}
