package state

import (
	"regexp"

	"github.com/appmesh/appmesh/structs"
)

// validName is the shape of namespace, policy and role names. They appear
// in URL paths, CLI flags and policy rules, so they are kept to characters
// that need no quoting anywhere.
var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

// checkName records a problem when name does not have the shape of
// validName; what says which kind of name it is ("namespace", "policy").
func checkName(v *structs.ValidationError, what, name string) {
	if validName.MatchString(name) {
		return
	}
	if name == "" {
		v.Add("", "%s name is missing", what)
		return
	}
	v.Add("", "%s name %q is invalid: use 1 to 128 letters, digits, '-' or '_'", what, name)
}

// ValidateName checks a namespace, policy or role name before it is
// written, so that endpoints refuse what the state would refuse with the
// same message.
func ValidateName(what, name string) error {
	var v structs.ValidationError
	checkName(&v, what, name)
	return v.ErrorOrNil()
}

// copyStrings returns a copy of a string slice, so that a stored object
// shares nothing with the entry it was built from.
func copyStrings(in []string) []string {
	if in == nil {
		return nil
	}
	return append([]string(nil), in...)
}
