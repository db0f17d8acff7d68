package server

// Mesh serves the service mesh's RPCs: the CA (endpoint_mesh_ca.go),
// intentions (endpoint_mesh_intentions.go) and splits (endpoint_mesh_splits.go).
type Mesh struct{ srv *Server }
