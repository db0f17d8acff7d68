package agent

import (
	"net/http"
)

// amTaskUnsupported is the message for App Mesh's task invocation routes.
// App Mesh's SDKs call them (client: run_task POST, cancel_task DELETE;
// the application's own process: task_fetch GET, task_return PUT with
// APP_MESH_PROCESS_KEY). appmesh gives its tasks no process key and has
// no per-process message channel, so it answers a 400 that says so
// rather than a bare 404 an SDK would read as "no such application".
const amTaskUnsupported = "App Mesh's task invocation (/appmesh/app/{name}/task: run_task, cancel_task, " +
	"task_fetch, task_return) is not supported by appmesh: start a run with POST /appmesh/app/run " +
	"or /appmesh/app/syncrun, or reach the application through its own port"

// registerAppMeshUnsupportedRoutes answers App Mesh routes that appmesh
// knowingly does not honour with a clear 4xx in App Mesh's error shape.
// The doors are public because the answer is the same fixed refusal for
// everyone and touches no state; the application-side calls carry no
// token (App Mesh authenticates them by process key), and they should see
// the reason too instead of a 403 they retry forever.
func (s *HTTPServer) registerAppMeshUnsupportedRoutes() {
	refuse := public(func(w http.ResponseWriter, r *http.Request) (any, error) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": amTaskUnsupported})
		return nil, nil
	})
	s.route("/appmesh/app/{name}/task", map[string]door{
		http.MethodGet: refuse, http.MethodPut: refuse, http.MethodPost: refuse, http.MethodDelete: refuse})
}
