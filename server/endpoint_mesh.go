package server

// Mesh is the RPC endpoint of the built-in service mesh: the CA
// (endpoint_mesh_ca.go) and its policy (intentions, splits), each in its
// own files with its access rules registered from there.
type Mesh struct{ srv *Server }
