package structs

import "testing"

// Identities of both meshes parse to the same parts: appmesh's, and
// Consul Connect's with its datacenter segment.
func TestParseMeshSPIFFEIDForms(t *testing.T) {
	for id, want := range map[string][3]string{
		MeshSPIFFEID("global.appmesh", "prod", "api"):          {"global.appmesh", "prod", "api"},
		ConsulSPIFFEID("1234.consul", "default", "dc1", "api"): {"1234.consul", "default", "api"},
	} {
		td, ns, svc, err := ParseMeshSPIFFEID(id)
		if err != nil || [3]string{td, ns, svc} != want {
			t.Errorf("ParseMeshSPIFFEID(%q) = %q %q %q %v, want %v", id, td, ns, svc, err, want)
		}
	}
	for _, bad := range []string{
		"spiffe://x.consul/ns/default/dc//svc/api", "spiffe://x/ns/default/dc/dc1/api/x",
		"spiffe://x/ns/default/svc", "https://x/ns/default/svc/api", "spiffe://x/ns/a/dc/b/svc/c/d",
	} {
		if _, _, _, err := ParseMeshSPIFFEID(bad); err == nil {
			t.Errorf("ParseMeshSPIFFEID(%q) accepted", bad)
		}
	}
}
