package agent

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const parseGoodHCL = `job "web" {
  group "g" {
    count = 2
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
    }
  }
}
`

func parseBody(t *testing.T, source string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"source": source})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type parseAnswer struct {
	Job *struct {
		ID        string `json:"id"`
		Namespace string `json:"namespace"`
		Type      string `json:"type"`
		Groups    []struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		} `json:"groups"`
	} `json:"job"`
	Error    string         `json:"error"`
	Problems []parseProblem `json:"problems"`
}

// TestJobParseHCL: a good HCL job comes back as the JSON job PUT /v1/jobs
// takes, canonicalized (namespace and type filled in), and nothing is
// written.
func TestJobParseHCL(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	before := writeIndexes(a.Server().State())
	var out parseAnswer
	decodeJSON(t, c.must("POST", "/v1/jobs/parse", mgmt, parseBody(t, parseGoodHCL)), &out)
	if out.Job == nil || out.Job.ID != "web" || out.Job.Namespace != "default" || out.Job.Type != "service" ||
		len(out.Job.Groups) != 1 || out.Job.Groups[0].Name != "g" || out.Job.Groups[0].Count != 2 {
		t.Fatalf("parsed job: %+v", out.Job)
	}
	if after := writeIndexes(a.Server().State()); after != before {
		t.Errorf("parsing changed the state: %s -> %s", before, after)
	}
	// The answer is a body PUT /v1/jobs accepts as it is.
	raw := c.must("POST", "/v1/jobs/parse", mgmt, parseBody(t, parseGoodHCL))
	if code, body := c.do("PUT", "/v1/jobs", mgmt, raw); code != http.StatusOK {
		t.Fatalf("register the parsed job: %d %s", code, body)
	}
	// JSON is parsed too, and a job without a namespace takes ?namespace=.
	c.must("PUT", "/v1/namespace/prod", mgmt, `{}`)
	decodeJSON(t, c.must("POST", "/v1/jobs/parse?namespace=prod", mgmt,
		parseBody(t, `{"id":"j","groups":[{"name":"g","tasks":[{"name":"t","driver":"raw_exec","config":{"command":"/bin/true"}}]}]}`)), &out)
	if out.Job == nil || out.Job.ID != "j" || out.Job.Namespace != "prod" {
		t.Fatalf("parsed JSON job: %+v", out.Job)
	}
	// Variables take the values sent with the text.
	withVar := "variable \"n\" {\n  type    = number\n  default = 1\n}\n" + strings.Replace(parseGoodHCL, "count = 2", "count = var.n", 1)
	body, _ := json.Marshal(map[string]any{"source": withVar, "variables": map[string]string{"n": "3"}})
	out = parseAnswer{}
	decodeJSON(t, c.must("POST", "/v1/jobs/parse", mgmt, string(body)), &out)
	if out.Job == nil || len(out.Job.Groups) != 1 || out.Job.Groups[0].Count != 3 {
		t.Fatalf("job with variable n=3: %+v", out.Job)
	}
	code, answer := c.do("POST", "/v1/jobs/parse", mgmt, `{"source":`+string(mustJSON(t, withVar))+`,"variables":{"nope":"1"}}`)
	if code != http.StatusBadRequest || !strings.Contains(answer, "nope") {
		t.Errorf("undeclared variable: got %d %s, want 400 naming it", code, answer)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJobParseErrorsHaveLines: a bad HCL or JSON text is a 400 whose
// problems say on which line and column they are.
func TestJobParseErrorsHaveLines(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	cases := []struct {
		name, source string
		line         int
		want         string
	}{
		{"unknown field", strings.Replace(parseGoodHCL, `count = 2`, "count = 2\n    colour = \"red\"", 1), 4, "colour"},
		{"syntax", strings.Replace(parseGoodHCL, `args    = ["600"]`, `args    = ["600"`, 1), 9, "separator"},
		{"json", "{\"job\": {\n  \"id\": \"x\",\n  \"grups\": []\n}}", 3, "grups"},
		{"file function", strings.Replace(parseGoodHCL, `"/bin/sleep"`, `file("/etc/passwd")`, 1), 7, "file"},
	}
	for _, tc := range cases {
		code, body := c.do("POST", "/v1/jobs/parse", mgmt, parseBody(t, tc.source))
		if code != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", tc.name, code, body)
			continue
		}
		var out parseAnswer
		decodeJSON(t, body, &out)
		if out.Error == "" || len(out.Problems) == 0 {
			t.Errorf("%s: no error or problems in %s", tc.name, body)
			continue
		}
		p := out.Problems[0]
		if p.Line != tc.line || p.Column == 0 || !strings.Contains(p.Message, tc.want) {
			t.Errorf("%s: first problem %+v, want line %d mentioning %q (body %s)", tc.name, p, tc.line, tc.want, body)
		}
	}
	// A job that parses but does not validate lists its problems, without a place.
	code, body := c.do("POST", "/v1/jobs/parse", mgmt, parseBody(t, "job \"empty\" {\n}\n"))
	if code != http.StatusBadRequest || !strings.Contains(body, "group") {
		t.Errorf("job without groups: got %d %s, want 400 naming the missing group", code, body)
	}
	code, body = c.do("POST", "/v1/jobs/parse", mgmt, `{"source":""}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "source") {
		t.Errorf("empty source: got %d %s", code, body)
	}
}

// TestJobParseACL: parsing needs submit-job in ?namespace= and in the
// namespace the job names.
func TestJobParseACL(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	c.must("PUT", "/v1/namespace/prod", mgmt, `{}`)
	c.must("PUT", "/v1/namespace/dev", mgmt, `{}`)
	c.must("PUT", "/v1/acl/policy/dev-write", mgmt, `{"rules":"namespace \"dev\" {\n policy = \"write\"\n}\n"}`)
	c.must("PUT", "/v1/acl/policy/dev-read", mgmt, `{"rules":"namespace \"dev\" {\n policy = \"read\"\n}\n"}`)
	var writer, reader struct {
		SecretID string `json:"secret_id"`
	}
	decodeJSON(t, c.must("PUT", "/v1/acl/token", mgmt, `{"name":"w","policies":["dev-write"]}`), &writer)
	decodeJSON(t, c.must("PUT", "/v1/acl/token", mgmt, `{"name":"r","policies":["dev-read"]}`), &reader)

	inDev := strings.Replace(parseGoodHCL, `job "web" {`, "job \"web\" {\n  namespace = \"dev\"", 1)
	inProd := strings.Replace(parseGoodHCL, `job "web" {`, "job \"web\" {\n  namespace = \"prod\"", 1)
	var out parseAnswer
	decodeJSON(t, c.must("POST", "/v1/jobs/parse?namespace=dev", writer.SecretID, parseBody(t, inDev)), &out)
	if out.Job == nil || out.Job.Namespace != "dev" {
		t.Fatalf("writer's job: %+v", out.Job)
	}
	denied := []struct {
		who, token, path, source string
	}{
		{"no token", "", "/v1/jobs/parse?namespace=dev", inDev},
		{"read-only token", reader.SecretID, "/v1/jobs/parse?namespace=dev", inDev},
		{"dev writer, default namespace", writer.SecretID, "/v1/jobs/parse", parseGoodHCL},
		{"dev writer, job in prod", writer.SecretID, "/v1/jobs/parse?namespace=dev", inProd},
	}
	for _, d := range denied {
		code, body := c.do("POST", d.path, d.token, parseBody(t, d.source))
		if code != http.StatusForbidden || !strings.Contains(body, "Permission denied") {
			t.Errorf("%s: got %d %s, want 403 Permission denied", d.who, code, body)
		}
		if strings.Contains(body, `"groups"`) {
			t.Errorf("%s: refused answer carries the job: %s", d.who, body)
		}
	}
}
