package acl

import (
	"errors"
	"fmt"
	"strings"
)

// deniedPrefix starts every denial's text. IsPermissionDenied relies on it
// to recognise a denial that crossed an RPC hop as plain text, so it must
// not change.
const deniedPrefix = "Permission denied"

// ErrPermissionDenied matches every *PermissionDeniedError with errors.Is.
var ErrPermissionDenied = errors.New(deniedPrefix)

// PermissionDeniedError says what a request lacked. Exactly one of the
// shapes is filled in:
//   - Capability and Namespace: a namespace capability;
//   - Rule ("node", "agent" or "operator") and Access ("read" or "write");
//   - Rule "management", with What naming the action.
type PermissionDeniedError struct {
	Capability string
	Namespace  string
	Rule       string
	Access     string
	What       string
}

// RuleManagement is the Rule of a denial for want of a management token.
const RuleManagement = "management"

// Error names what is missing, e.g.
//
//	Permission denied: missing capability "submit-job" in namespace "prod"
//	Permission denied: needs operator write
//	Permission denied: needs a management token to bootstrap the ACL system
func (e *PermissionDeniedError) Error() string {
	switch {
	case e.Capability != "":
		ns := e.Namespace
		if ns == "" {
			ns = DefaultNamespace
		}
		return fmt.Sprintf("%s: missing capability %q in namespace %q", deniedPrefix, e.Capability, ns)
	case e.Rule == RuleManagement && e.What != "":
		return fmt.Sprintf("%s: needs a management token to %s", deniedPrefix, e.What)
	case e.Rule == RuleManagement:
		return deniedPrefix + ": needs a management token"
	case e.Rule != "":
		return fmt.Sprintf("%s: needs %s %s", deniedPrefix, e.Rule, e.Access)
	}
	return deniedPrefix
}

// Is makes errors.Is(err, ErrPermissionDenied) hold.
func (e *PermissionDeniedError) Is(target error) bool {
	return target == ErrPermissionDenied
}

// IsPermissionDenied reports whether err, or an error it wraps, is a denial:
// a *PermissionDeniedError, ErrPermissionDenied, or an error whose text
// starts with "Permission denied" (a denial that an RPC hop turned into
// text). The test is on each error's own text, so "write: Permission
// denied: ..." counts only when it wraps the denial, and the operating
// system's lower-case "permission denied" never counts.
func IsPermissionDenied(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrPermissionDenied) || strings.HasPrefix(err.Error(), deniedPrefix) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return IsPermissionDenied(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if IsPermissionDenied(e) {
				return true
			}
		}
	}
	return false
}
