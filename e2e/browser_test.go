package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12, item 5: a web page cannot drive a local dev agent. The attack
// of the issue (a cross-origin text/plain POST of a raw_exec job) and a
// DNS-rebinding request are refused and write nothing; the same job sent
// as JSON by a non-browser client runs, which shows the payload would
// have worked.
func TestBrowserCannotDriveDevAgent(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	marker := filepath.Join(t.TempDir(), "pwned")
	job := func(id string) string {
		return fmt.Sprintf(`{"job":{"id":%q,"type":"batch","groups":[{"name":"g","tasks":[{"name":"t","driver":"raw_exec",
		  "config":{"command":"/bin/sh","args":["-c","id > %s"]}}]}]}}`, id, marker)
	}
	u, err := url.Parse(a.addr)
	if err != nil {
		t.Fatal(err)
	}
	post := func(host string, header map[string]string, body string) *response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, a.addr+"/v1/jobs", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := a.http.Do(req)
		if err != nil {
			a.fatalf("POST /v1/jobs: %v", err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return &response{status: resp.StatusCode, header: resp.Header, body: data}
	}

	for _, tc := range []struct {
		name   string
		host   string
		header map[string]string
		code   int
		want   string
	}{
		{"cross-origin text/plain POST (a <form> or fetch of any page)", "",
			map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example",
				"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, 403, "allowed_origins"},
		{"text/plain POST without Origin", "", map[string]string{"Content-Type": "text/plain"}, 415, "application/json"},
		{"DNS rebinding: same-origin JSON under a foreign name", "rebind.evil.example:" + u.Port(),
			map[string]string{"Content-Type": "application/json", "Origin": "http://rebind.evil.example:" + u.Port()}, 403, "allowed_hosts"},
	} {
		r := post(tc.host, tc.header, job("pwned"))
		if r.status != tc.code {
			a.fatalf("%s: status %d, want %d: %s", tc.name, r.status, tc.code, r.body)
		}
		if msg := a.errorMessage(tc.name, r); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q does not mention %s", tc.name, msg, tc.want)
		}
		var jobs []jobStub
		a.getJSON("/v1/jobs", &jobs)
		if len(jobs) != 0 {
			a.fatalf("%s was refused, yet jobs exist: %+v", tc.name, jobs)
		}
		var evals []map[string]any
		a.getJSON("/v1/evaluations", &evals)
		if len(evals) != 0 {
			a.fatalf("%s was refused, yet evaluations exist: %v", tc.name, evals)
		}
	}

	// The control: the same job as JSON from curl or the SDK runs.
	if r := post("", map[string]string{"Content-Type": "application/json"}, job("control")); r.status != http.StatusOK {
		a.fatalf("JSON POST /v1/jobs: status %d: %s", r.status, r.body)
	}
	a.waitFor("the control job's task to write "+marker, func() (bool, string) {
		data, err := os.ReadFile(marker)
		if err != nil || !strings.Contains(string(data), "uid=") {
			return false, fmt.Sprintf("marker: %q %v; job status %q", data, err, a.jobStatus("control"))
		}
		return true, ""
	})
}
