package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Bad deployment requests get a clear refusal naming what is wrong, on a
// real dev agent.
func TestHTTPDeploymentBadRequests(t *testing.T) {
	_, c := startTestAgent(t, "deployments")
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, c.Address()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct{ Error string }
		if resp.StatusCode >= 400 && json.Unmarshal(b, &e) == nil && e.Error != "" {
			return resp.StatusCode, e.Error // unescaped, as a user reads it
		}
		return resp.StatusCode, string(b)
	}
	plain := `{"job":{"id":"plain","type":"service","groups":[{"name":"g","count":1,"tasks":[{"name":"t","driver":"raw_exec",
	  "config":{"command":"/bin/sh","args":["-c","exec sleep 600"]}}]}]}}`
	rolled := strings.Replace(strings.Replace(plain, `"plain"`, `"rolled"`, 1), `"groups"`, `"update":{"max_parallel":1},"groups"`, 1)
	for _, body := range []string{plain, rolled} {
		if code, out := do("PUT", "/v1/jobs", body); code != 200 {
			t.Fatalf("register: %d %s", code, out)
		}
	}
	var dep struct{ ID string }
	code, out := do("GET", "/v1/job/rolled/deployment", "")
	if code != 200 || json.Unmarshal([]byte(out), &dep) != nil || dep.ID == "" {
		t.Fatalf("GET /v1/job/rolled/deployment: %d %s", code, out)
	}
	cases := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/v1/deployment/promote/" + dep.ID, `{"Groups":["g"]}`, 400, "Groups"},
		{"POST", "/v1/deployment/fail/" + dep.ID, `{"DeploymentID":"other"}`, 400, `DeploymentID "other" in the body does not match`},
		{"POST", "/v1/deployment/fail/" + dep.ID, `{"All":true}`, 400, `"All" is a field of a promotion`},
		{"GET", "/v1/deployment/0000dead", "", 404, "see `appmesh deployment list`"},
		{"POST", "/v1/job/nosuchjob/promote", "", 404, "nosuchjob"},
		{"POST", "/v1/job/plain", "", 405, "/v1/job/<id>/promote and /v1/job/<id>/scale"},
		{"POST", "/v1/job/plain/promote", "", 400, `job "plain" has no deployment: only service jobs with an update block are deployed`},
		{"GET", "/v1/job/plain/deployment", "", 404, `job "plain" has no deployment`},
		{"POST", "/v1/deployment/allocation-health/" + dep.ID, `{}`, 400, "give HealthyAllocationIDs or UnhealthyAllocationIDs"},
	}
	for _, tc := range cases {
		code, out := do(tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%s %s %s: got %d %s, want %d containing %q", tc.method, tc.path, tc.body, code, out, tc.code, tc.want)
		}
	}
	// No canaries: nothing to promote, whether the rollout still runs or
	// already succeeded.
	code, out = do("POST", "/v1/deployment/promote/"+dep.ID[:8], "")
	if code != 400 || !(strings.Contains(out, "has no canaries to promote") || strings.Contains(out, "is successful, not running")) {
		t.Errorf("promote without canaries: %d %s", code, out)
	}
}
