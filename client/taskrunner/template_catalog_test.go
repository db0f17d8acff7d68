package taskrunner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/structs"
)

// fakeCatalog answers nomadService from fixed instances, or fails.
type fakeCatalog struct {
	inst []consul.Instance
	err  error
	asks []string // "tag/name" of each lookup
}

func (c *fakeCatalog) Healthy(_ context.Context, service, tag string, _ uint64) ([]consul.Instance, uint64, error) {
	c.asks = append(c.asks, tag+"/"+service)
	return append([]consul.Instance(nil), c.inst...), 1, c.err
}

// nomadService reads the built-in catalog: instances sorted by address
// and port, "tag.name" filtering by tag, and the template is watched.
// Without a catalog, or when the servers cannot be reached, the render
// fails naming why (the latter retryable like a Consul that is down).
func TestTemplateRender_NomadService(t *testing.T) {
	cat := &fakeCatalog{inst: []consul.Instance{
		{ID: "b", Address: "10.0.0.2", Port: 8080}, {ID: "a2", Address: "10.0.0.1", Port: 9090},
		{ID: "a1", Address: "10.0.0.1", Port: 8080}}}
	in := &templateInput{catalog: cat}
	r, err := renderString(t, &structs.Template{
		Data: `{{ range nomadService "api" }}{{ .Address }}:{{ .Port }} {{ end }}|{{ len (nomadService "blue.api") }}`}, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := "10.0.0.1:8080 10.0.0.1:9090 10.0.0.2:8080 |3"; r.text != want || !r.dynamic {
		t.Fatalf("got %q (dynamic %v), want %q watched", r.text, r.dynamic, want)
	}
	if strings.Join(cat.asks, ",") != "/api,blue/api" {
		t.Fatalf("lookups %v, want /api and blue/api", cat.asks)
	}
	_, err = renderString(t, &structs.Template{Data: `{{ nomadService "api" }}`}, &templateInput{})
	if err == nil || !strings.Contains(err.Error(), "built-in service catalog is not available") {
		t.Fatalf("without a catalog: %v", err)
	}
	_, err = renderString(t, &structs.Template{Data: `{{ nomadService "api" }}`},
		&templateInput{catalog: &fakeCatalog{err: errors.New("no servers")}})
	if !errors.Is(err, errConsulLookup) || !strings.Contains(err.Error(), "no servers") {
		t.Fatalf("servers down: %v, want a retryable lookup error naming the cause", err)
	}
}
