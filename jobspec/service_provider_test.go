package jobspec

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// provider = "nomad" and "appmesh" parse and select the built-in catalog;
// no provider keeps Consul; a wrong provider, and a grpc check on the
// built-in catalog, are refused with the block named.
func TestServiceProvider(t *testing.T) {
	src := mustRead(t, "testdata/api.hcl")
	for _, tc := range []struct{ provider, want string }{
		{`provider = "nomad"`, structs.ServiceProviderNomad},
		{`provider = "appmesh"`, structs.ServiceProviderAppmesh},
		{`provider = "consul"`, structs.ServiceProviderConsul},
		{``, ""},
	} {
		job := parseHCLString(t, strings.Replace(src, `name = "api"`, `name = "api"`+"\n    "+tc.provider, 1))
		s := job.Groups[0].Services[0]
		if s.Provider != tc.want {
			t.Fatalf("%q: provider %q", tc.provider, s.Provider)
		}
		if native := tc.want == structs.ServiceProviderNomad || tc.want == structs.ServiceProviderAppmesh; s.IsNative() != native {
			t.Fatalf("%q: IsNative %v", tc.provider, s.IsNative())
		}
		job.Canonicalize()
		if err := job.Validate(); err != nil {
			t.Fatalf("%q: validate: %v", tc.provider, err)
		}
	}
	bad := parseHCLString(t, strings.Replace(src, `name = "api"`, `name = "api"`+"\n    provider = \"etcd\"", 1))
	bad.Canonicalize()
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), `provider "etcd" is invalid: use "consul", "appmesh" or "nomad"`) ||
		!strings.Contains(err.Error(), "service 1") {
		t.Fatalf("unknown provider: %v", err)
	}
	grpc := strings.Replace(src, `name = "api"`, `name = "api"`+"\n    provider = \"nomad\"", 1)
	grpc = strings.Replace(grpc, `type = "http"`, `type = "grpc"`, 1)
	gj := parseHCLString(t, grpc)
	gj.Canonicalize()
	err = gj.Validate()
	if err == nil || !strings.Contains(err.Error(), "grpc checks need Consul") {
		t.Fatalf("grpc check on the built-in catalog: %v", err)
	}
	t.Logf("refused as: %v", err)
}
