package agent

import "net/http"

// registerRoutes wires every /v1 endpoint. Job IDs may contain '/'
// (periodic children such as "backup/periodic-1700000000"), so everything
// under /v1/job/ goes to one handler that splits off the sub-resource.
func (s *HTTPServer) registerRoutes() {
	get := http.MethodGet
	s.route("/v1/jobs", map[string]endpoint{
		get:             s.jobList,
		http.MethodPut:  s.jobRegister,
		http.MethodPost: s.jobRegister,
	})
	s.route("/v1/job/{rest...}", map[string]endpoint{
		get:               s.jobGetWithSchedules, // periodic, versions, ...
		http.MethodDelete: s.jobDeregister,
		http.MethodPut:    s.jobPutWithSchedules, // dispatch, periodic/force, plan, revert
	})
	s.route("/v1/allocations", map[string]endpoint{get: s.allocList})
	s.route("/v1/allocation/{id}", map[string]endpoint{get: s.allocGet})
	s.route("/v1/nodes", map[string]endpoint{get: s.nodeList})
	s.route("/v1/node/{id}", map[string]endpoint{get: s.nodeGet})
	s.route("/v1/evaluations", map[string]endpoint{get: s.evalList})
	s.route("/v1/evaluation/{id}", map[string]endpoint{get: s.evalGet})
	s.route("/v1/status/leader", map[string]endpoint{get: s.statusLeader})
	s.route("/v1/status/peers", map[string]endpoint{get: s.statusPeers})
	s.route("/v1/agent/self", map[string]endpoint{get: s.agentSelf})
	s.route("/v1/client/fs/logs/{alloc}", map[string]endpoint{get: s.allocLogs})
	s.route("/v1/client/allocation/{id}/signal", map[string]endpoint{http.MethodPost: s.allocSignal, http.MethodPut: s.allocSignal})
	s.route("/v1/client/allocation/{id}/restart", map[string]endpoint{http.MethodPost: s.allocRestart, http.MethodPut: s.allocRestart})
	s.route("/v1/client/allocation/{id}/exec", map[string]endpoint{http.MethodPost: s.allocExec, http.MethodPut: s.allocExec, get: s.allocExecStream})
	s.route("/v1/client/allocation/{id}/stats", map[string]endpoint{get: s.allocStats})
	s.route("/v1/client/allocation/{id}/stdin", map[string]endpoint{http.MethodPost: s.allocStdin, http.MethodPut: s.allocStdin})
	s.route("/v1/run/{id}", map[string]endpoint{get: s.runGet})
	s.route("/v1/allocation/{id}/stop", map[string]endpoint{http.MethodPut: s.allocStop, http.MethodPost: s.allocStop})
	s.registerOperatorRoutes()
	s.registerNodeUpdateRoutes()
	s.mux.HandleFunc("/", s.notFound)
}
