package agent

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// httpError is an error whose status code the handler already knows (bad
// query parameters, a body that is too large ...).
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{code: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// statusFor maps an error to the status code the API contract promises.
// RPC errors may have crossed a process boundary as plain text, so the
// checks also match on the message.
func statusFor(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.code
	// Before the others: "Permission denied: ACL token not found" is a 403.
	case errors.Is(err, structs.ErrPermissionDenied) || acl.IsPermissionDenied(err) ||
		strings.Contains(strings.ToLower(err.Error()), structs.ErrPermissionDenied.Error()):
		return http.StatusForbidden
	case structs.IsValidation(err):
		return http.StatusBadRequest
	case structs.IsNotFound(err):
		return http.StatusNotFound
	case errors.Is(err, structs.ErrConflict) ||
		strings.Contains(err.Error(), structs.ErrConflict.Error()):
		return http.StatusConflict
	case structs.IsDiskFull(err):
		return http.StatusInsufficientStorage
	case errors.Is(err, structs.ErrNoLeader) ||
		strings.Contains(err.Error(), structs.ErrNoLeader.Error()):
		// Not a bug: the cluster is electing a leader; retrying helps.
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with {"error": "..."}. Unexpected errors are logged,
// since they point at a bug or an outage rather than at the caller.
func (s *HTTPServer) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusFor(err)
	if code >= http.StatusInternalServerError {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	msg := err.Error()
	if code == http.StatusBadRequest {
		// "invalid: " is the RPC layer's marker for bad input, not a message.
		msg = strings.TrimPrefix(msg, "invalid: ")
	}
	writeJSON(w, code, errorBody{Error: msg})
}
