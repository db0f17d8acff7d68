package server

// Node-scoped RPCs are made by client agents, which prove their node's
// identity with the node secret instead of an ACL token. The Node
// endpoints verify the secret themselves (endpoint_node.go), because they
// need the stored node anyway; these rules only route the call there.

func nodeRegisterAuth(s *Server, args any) error { return nil }

func nodeSecretAuth(s *Server, args any) error { return nil }
