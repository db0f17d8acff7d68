package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAppMeshAPILoginRegisterOutput drives App Mesh's REST API on a real
// agent binary with ACLs on, as an App Mesh SDK does over HTTP: log in with
// Basic auth, register an application with the JWT as Bearer token, read
// its output by position until X-Exit-Code, delete it
// (website/appmesh-api.md).
func TestAppMeshAPILoginRegisterOutput(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true, acl: true})
	if r := a.request("PUT", "/v1/acl/user", []byte(
		`{"name":"sdk","type":"management","password":"an sdk password here"}`)); r.status != http.StatusOK {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}
	call := func(method, path, auth, body string) (*http.Response, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, a.addr+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := a.http.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	req, _ := http.NewRequest("POST", a.addr+"/appmesh/login", nil)
	req.SetBasicAuth("sdk", "an sdk password here")
	req.Header.Set("X-Expire-Seconds", "600")
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("login: %d %+v %v", resp.StatusCode, tok, err)
	}
	bearer := "Bearer " + tok.AccessToken

	if resp, body := call("PUT", "/appmesh/app/greet", "", `{"command":"echo hi"}`); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("register without a token: %d %s, want 403", resp.StatusCode, body)
	}
	if resp, body := call("PUT", "/appmesh/app/greet", bearer,
		`{"name":"greet","command":"sh -c 'echo one; echo two'","pid":null}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	var out strings.Builder
	pos := 0
	deadline := time.Now().Add(90 * time.Second)
	exit := ""
	for exit == "" && time.Now().Before(deadline) {
		resp, body := call("GET", "/appmesh/app/greet/output?timeout=2&stdout_position="+strconv.Itoa(pos), bearer, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("output: %d %s", resp.StatusCode, body)
		}
		out.WriteString(body)
		if pos, err = strconv.Atoi(resp.Header.Get("X-Output-Position")); err != nil {
			t.Fatalf("X-Output-Position %q: %v", resp.Header.Get("X-Output-Position"), err)
		}
		exit = resp.Header.Get("X-Exit-Code")
	}
	if out.String() != "one\ntwo\n" || exit != "0" || pos != 8 {
		t.Fatalf("output %q exit %q position %d, want \"one\\ntwo\\n\" exit 0 position 8", out.String(), exit, pos)
	}
	if resp, body := call("DELETE", "/appmesh/app/greet", bearer, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	if resp, body := call("GET", "/appmesh/app/greet", bearer, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: %d %s, want 404", resp.StatusCode, body)
	}
}
