package structs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors that the HTTP layer maps to status codes. RPC errors cross
// process boundaries as strings, so the check helpers below also match on the
// message text.
var (
	ErrNotFound         = errors.New("not found")
	ErrNoLeader         = errors.New("no cluster leader")
	ErrPermissionDenied = errors.New("permission denied")
	ErrConflict         = errors.New("conflict")
)

// ValidationError collects every problem found in an input so that the user
// can fix them all at once. It maps to HTTP 400.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%d problems:\n  * %s", len(e.Problems), strings.Join(e.Problems, "\n  * "))
}

// Add appends a problem, prefixed by the given context path (may be empty).
func (e *ValidationError) Add(prefix, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if prefix != "" {
		msg = prefix + ": " + msg
	}
	e.Problems = append(e.Problems, msg)
}

// Merge appends the problems of another error, prefixed.
func (e *ValidationError) Merge(prefix string, err error) {
	if err == nil {
		return
	}
	var v *ValidationError
	if errors.As(err, &v) {
		for _, p := range v.Problems {
			e.Add(prefix, "%s", p)
		}
		return
	}
	e.Add(prefix, "%s", err.Error())
}

// ErrorOrNil returns nil when no problem was recorded.
func (e *ValidationError) ErrorOrNil() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// IsNotFound reports whether err (possibly a remote error string) means a
// missing object.
func IsNotFound(err error) bool {
	return err != nil && (errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), ErrNotFound.Error()))
}

// IsValidation reports whether err is bad user input.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v) || (err != nil && strings.HasPrefix(err.Error(), "invalid: "))
}
