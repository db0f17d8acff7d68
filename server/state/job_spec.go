package state

import "github.com/appmesh/appmesh/structs"

// SpecEqual reports whether two jobs have the same user-submitted
// specification (server-owned fields ignored); a registration of an equal
// specification does not create a new version.
func SpecEqual(a, b *structs.Job) bool { return specEqual(a, b) }
