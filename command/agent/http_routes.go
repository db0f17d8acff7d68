package agent

import "net/http"

// registerRoutes wires every /v1 endpoint, each method behind its door
// (http_auth.go). Job IDs may contain '/' (periodic children such as
// "backup/periodic-1700000000"), so everything under /v1/job/ goes to one
// handler that splits off the sub-resource.
func (s *HTTPServer) registerRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	s.route("/v1/jobs", map[string]door{
		get:  viaRPC(s.jobList),
		put:  viaRPC(s.jobRegister),
		post: viaRPC(s.jobRegister),
	})
	// Parsing touches no state, but it is the first step of submitting:
	// deny by default, submit-job in ?namespace= (and in the job's own
	// namespace, checked by the handler once it knows it).
	s.route("/v1/jobs/parse", map[string]door{
		post: inNamespace(capSubmitJob, s.jobParse),
		put:  inNamespace(capSubmitJob, s.jobParse),
	})
	s.route("/v1/job/{rest...}", map[string]door{
		get:  viaRPC(s.jobGetWithSchedules), // periodic, versions, ...
		del:  viaRPC(s.jobDeregister),
		put:  viaRPC(s.jobPutWithSchedules), // dispatch, periodic/force, plan, revert, promote, scale
		post: viaRPC(s.jobPost),             // promote, scale
	})
	s.route("/v1/allocations", map[string]door{get: viaRPC(s.allocList)})
	s.route("/v1/allocation/{id}", map[string]door{get: viaRPC(s.allocGet)})
	s.route("/v1/allocation/{id}/stop", map[string]door{put: viaRPC(s.allocStop), post: viaRPC(s.allocStop)})
	s.route("/v1/nodes", map[string]door{get: viaRPC(s.nodeList)})
	s.route("/v1/node/{id}", map[string]door{get: viaRPC(s.nodeGet)})
	s.route("/v1/evaluations", map[string]door{get: viaRPC(s.evalList)})
	s.route("/v1/evaluation/{id}", map[string]door{get: viaRPC(s.evalGet)})
	s.route("/v1/status/leader", map[string]door{get: agentAccess(read, s.statusLeader)})
	s.route("/v1/status/peers", map[string]door{get: agentAccess(read, s.statusPeers)})
	s.route("/v1/agent/self", map[string]door{get: agentAccess(read, s.agentSelf)})
	s.route("/v1/client/fs/logs/{alloc}", map[string]door{get: onAlloc("alloc", capReadLogs, s.allocLogs)})
	s.route("/v1/client/allocation/{id}/signal", map[string]door{
		post: onAlloc("id", capLifecycle, s.allocSignal), put: onAlloc("id", capLifecycle, s.allocSignal)})
	s.route("/v1/client/allocation/{id}/restart", map[string]door{
		post: onAlloc("id", capLifecycle, s.allocRestart), put: onAlloc("id", capLifecycle, s.allocRestart)})
	s.route("/v1/client/allocation/{id}/exec", map[string]door{
		post: onAlloc("id", capExec, s.allocExec), put: onAlloc("id", capExec, s.allocExec),
		get: onAlloc("id", capExec, s.allocExecStream)})
	s.route("/v1/client/allocation/{id}/stats", map[string]door{get: onAlloc("id", capReadJob, s.allocStats)})
	s.route("/v1/client/allocation/{id}/stdin", map[string]door{
		post: onAlloc("id", capExec, s.allocStdin), put: onAlloc("id", capExec, s.allocStdin)})
	// A run's output is its task's log (read-logs); finding the run's job
	// and allocation is read-job.
	s.route("/v1/run/{id}", map[string]door{get: inNamespaceAnd(capReadLogs, capReadJob, s.runGet)})
	s.registerDeploymentRoutes()
	s.registerOperatorRoutes()
	s.registerNodeUpdateRoutes()
	s.registerGCRoutes()
	s.registerACLRoutes()
	s.registerLoginRoutes()
	s.registerNamespaceRoutes()
	s.registerServiceRoutes()
	s.registerMeshCARoutes()
	s.registerMeshPolicyRoutes()
	s.registerObservabilityRoutes()
	s.registerAppMeshRoutes()
	s.registerMeshProxyRoutes()
	s.registerUIRoutes()
	s.mux.HandleFunc("/", s.rootOrNotFound)
}
