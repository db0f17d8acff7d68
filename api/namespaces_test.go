package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func newNamespacedFake(t *testing.T, ns string) (*Client, *seen) {
	t.Helper()
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/jobs":
			if r.Method == http.MethodPut {
				reply(w, "3", &structs.JobRegisterResponse{EvalID: "e1"})
				return
			}
			reply(w, "3", []*structs.JobListStub{})
		default:
			reply(w, "3", map[string]any{})
		}
	})
	return c.WithNamespace(ns), last
}

func queryNamespace(t *testing.T, last *seen) []string {
	t.Helper()
	v, err := url.ParseQuery(last.query)
	if err != nil {
		t.Fatalf("query %q: %v", last.query, err)
	}
	return v["namespace"]
}

func TestDefaultConfigNamespaceFromEnv(t *testing.T) {
	t.Setenv(EnvNamespace, " prod ")
	if c := DefaultConfig(); c.Namespace != "prod" {
		t.Fatalf("namespace = %q", c.Namespace)
	}
	t.Setenv(EnvNamespace, "")
	if c := DefaultConfig(); c.Namespace != "" {
		t.Fatalf("namespace = %q", c.Namespace)
	}
}

func TestNamespaceSentOnEveryRequest(t *testing.T) {
	c, last := newNamespacedFake(t, "prod")
	if c.Namespace() != "prod" {
		t.Fatalf("Namespace() = %q", c.Namespace())
	}
	for name, do := range map[string]func() error{
		"read":           func() error { _, _, err := c.Jobs().List(nil); return err },
		"read with opts": func() error { _, _, err := c.Jobs().List(&QueryOptions{Prefix: "a"}); return err },
		"write":          func() error { _, _, err := c.Jobs().Deregister("web", true); return err },
		"write no body":  func() error { _, err := c.Nodes().ToggleEligibility("n1", true); return err },
		"acl":            func() error { _, _, err := c.ACLTokens().Self(nil); return err },
	} {
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := queryNamespace(t, last); len(got) != 1 || got[0] != "prod" {
			t.Errorf("%s: ?namespace= %v in %q", name, got, last.query)
		}
	}
}

func TestQueryOptionsNamespaceOverridesClient(t *testing.T) {
	c, last := newNamespacedFake(t, "prod")
	if _, _, err := c.Jobs().List(&QueryOptions{Namespace: structs.AllNamespacesSentinel}); err != nil {
		t.Fatal(err)
	}
	if got := queryNamespace(t, last); len(got) != 1 || got[0] != "*" {
		t.Fatalf("?namespace= %v in %q", got, last.query)
	}
}

func TestNoNamespaceParamWithoutNamespace(t *testing.T) {
	c, last := newNamespacedFake(t, "")
	if _, _, err := c.Jobs().List(nil); err != nil {
		t.Fatal(err)
	}
	if last.query != "" {
		t.Fatalf("query = %q, want none", last.query)
	}
}

func TestWithNamespaceLeavesOriginalAlone(t *testing.T) {
	c, _ := newNamespacedFake(t, "prod")
	other := c.WithNamespace("dev")
	if c.Namespace() != "prod" || other.Namespace() != "dev" {
		t.Fatalf("namespaces %q %q", c.Namespace(), other.Namespace())
	}
}

func TestRegisterPutsJobInClientNamespace(t *testing.T) {
	c, last := newNamespacedFake(t, "prod")
	job := &structs.Job{ID: "web"}
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	if job.Namespace != "" {
		t.Errorf("the caller's job was changed: namespace %q", job.Namespace)
	}
	if ns := registeredNamespace(t, last); ns != "prod" {
		t.Errorf("job namespace = %q, want prod", ns)
	}

	// A job that names its namespace keeps it.
	if _, _, err := c.Jobs().Register(&structs.Job{ID: "web", Namespace: "dev"}, nil); err != nil {
		t.Fatal(err)
	}
	if ns := registeredNamespace(t, last); ns != "dev" {
		t.Errorf("job namespace = %q, want dev", ns)
	}

	// "*" is for listing; a job is not put in it.
	if _, _, err := c.WithNamespace("*").Jobs().Register(&structs.Job{ID: "web"}, nil); err != nil {
		t.Fatal(err)
	}
	if ns := registeredNamespace(t, last); ns != "" {
		t.Errorf("job namespace = %q, want none", ns)
	}
}

func registeredNamespace(t *testing.T, last *seen) string {
	t.Helper()
	var body struct {
		Job struct {
			Namespace string `json:"namespace"`
		} `json:"job"`
	}
	if err := json.Unmarshal(last.body, &body); err != nil {
		t.Fatalf("body %s: %v", last.body, err)
	}
	return body.Job.Namespace
}
