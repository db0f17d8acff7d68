package appmeshapi

import "github.com/appmesh/appmesh/acl"

// Permission says what an App Mesh permission name is in appmesh: the
// namespace capabilities (in the application's namespace, "default") that
// grant it, or "" in Route when /appmesh/ has no route for it yet.
type Permission struct {
	Name         string
	Capabilities []string
	// Route is the /appmesh/ route the permission guards ("" none yet).
	Route string
}

// Permissions maps App Mesh's permission names onto appmesh capabilities.
// Every handler first reads the application's job (read-job), then does
// what the permission names.
// Every /appmesh/ route runs through appmesh's one ACL check; the
// capabilities below are what that check asks for. Applications run with
// raw_exec, so registering and running them also needs
// submit-privileged-job (see website/job-spec.md#privileged-jobs).
var Permissions = []Permission{
	{"app-view", []string{acl.CapabilityReadJob}, "GET /appmesh/app/{name}"},
	{"app-view-all", []string{acl.CapabilityListJobs, acl.CapabilityReadJob}, "GET /appmesh/applications"},
	{"app-output-view", []string{acl.CapabilityReadJob, acl.CapabilityReadLogs}, "GET /appmesh/app/{name}/output"},
	{"app-reg", []string{acl.CapabilityReadJob, acl.CapabilitySubmitJob, acl.CapabilitySubmitPrivilegedJob}, "PUT /appmesh/app/{name}"},
	{"app-control", []string{acl.CapabilityReadJob, acl.CapabilitySubmitJob}, "POST /appmesh/app/{name}/enable|disable"},
	{"app-delete", []string{acl.CapabilityReadJob, acl.CapabilitySubmitJob}, "DELETE /appmesh/app/{name}"},
	{"app-run-sync", []string{acl.CapabilityReadJob, acl.CapabilityRunCommand, acl.CapabilitySubmitPrivilegedJob, acl.CapabilityReadLogs}, "POST /appmesh/app/syncrun"},
	{"app-run-async", []string{acl.CapabilityReadJob, acl.CapabilityRunCommand, acl.CapabilitySubmitPrivilegedJob}, "POST /appmesh/app/run"},
	{"app-run-async-output", []string{acl.CapabilityReadJob, acl.CapabilityReadLogs}, "GET /appmesh/app/{name}/output?process_uuid="},
	{"app-run-task", nil, ""}, {"app-subscribe", nil, ""},
	{"host-resource-view", nil, ""}, {"file-download", nil, ""}, {"file-upload", nil, ""},
	{"label-view", nil, ""}, {"label-set", nil, ""}, {"label-delete", nil, ""},
	{"config-view", nil, ""}, {"config-set", nil, ""},
	{"passwd-change-self", nil, ""}, {"passwd-change-user", nil, ""},
	{"user-add", nil, ""}, {"user-delete", nil, ""}, {"user-list", nil, ""}, {"user-lock", nil, ""},
	{"user-unlock", nil, ""}, {"user-totp-active", nil, ""}, {"user-totp-disable", nil, ""},
	{"user-token-renew", nil, ""}, {"role-view", nil, ""}, {"role-set", nil, ""}, {"role-delete", nil, ""},
	{"permission-list", nil, ""},
}
