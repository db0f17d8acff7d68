package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// StatusError is a non-2xx answer of the agent: the HTTP status code and the
// agent's message (the "error" field of its JSON error body).
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the agent answered HTTP %d %s", e.Code, http.StatusText(e.Code))
	}
	return e.Message
}

// IsNotFound reports whether err is a 404 from the agent.
func IsNotFound(err error) bool { return statusCode(err) == http.StatusNotFound }

// IsBadRequest reports whether err is a 400 from the agent (bad input).
func IsBadRequest(err error) bool { return statusCode(err) == http.StatusBadRequest }

func statusCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// maxErrorBody bounds how much of an error body is read: enough for any
// message a person would read, small enough that a proxy's HTML page or a
// misdirected stream cannot eat memory.
const maxErrorBody = 64 << 10

func newStatusError(resp *http.Response) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &StatusError{Code: resp.StatusCode}
	var payload struct {
		Error string `json:"error"`
		// Message: App Mesh's error shape (/appmesh/ routes).
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(body, &payload) == nil && payload.Error != "":
		e.Message = payload.Error
	case payload.Message != "":
		e.Message = payload.Message
	default:
		e.Message = strings.TrimSpace(string(body))
	}
	return e
}
