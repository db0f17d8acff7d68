package agent

import (
	"net/http"
	"strings"
	"testing"
)

// TestAppMeshTaskRoutesRefused: App Mesh's SDKs call
// /appmesh/app/{name}/task (run_task, cancel_task, and from inside the
// application task_fetch and task_return). appmesh does not have it and
// must say so with a 4xx in App Mesh's shape, with or without a token,
// never a silent success nor a 404 that reads as "no such application".
func TestAppMeshTaskRoutesRefused(t *testing.T) {
	a, _ := startTestAgent(t, "am-task")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}
	c.want(http.StatusOK, "PUT", "/appmesh/app/worker", `{"command":"sleep 600","behavior":{"exit":"restart"}}`)
	t.Cleanup(func() { c.do("DELETE", "/appmesh/app/worker", "") })
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/appmesh/app/worker/task?timeout=5", `"payload"`},
		{"DELETE", "/appmesh/app/worker/task", ""},
		{"GET", "/appmesh/app/worker/task?process_key=abc", ""},
		{"PUT", "/appmesh/app/worker/task?process_key=abc", `"result"`},
		{"POST", "/appmesh/app/nosuch/task?timeout=5", `"payload"`},
	} {
		r := c.want(http.StatusBadRequest, req.method, req.path, req.body)
		var e struct {
			Message string `json:"message"`
		}
		decodeJSON(t, r.body, &e)
		if !strings.Contains(e.Message, "task invocation") || !strings.Contains(e.Message, "not supported by appmesh") {
			t.Errorf("%s %s: message %q does not say the task API is unsupported", req.method, req.path, e.Message)
		}
	}
	// add_app(subscribe_events=...) sends the events as a query: refused
	// too (App Mesh delivers events only over its TCP/WSS transports).
	r := c.want(http.StatusBadRequest, "PUT", "/appmesh/app/worker?subscribe_events=START,EXIT", `{"command":"sleep 600","behavior":{"exit":"restart"}}`)
	if !strings.Contains(r.body, "subscribe_events") {
		t.Errorf("subscribe_events refusal does not name it: %s", r.body)
	}
	// The application is untouched by the refused calls.
	waitAppStatus(t, c, "worker", 1, true)
}
