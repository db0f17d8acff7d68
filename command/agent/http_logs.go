package agent

import (
	"math"
	"net/http"
	"strconv"
)

// LogOffsetEnd is the StreamLogs offset for "start at the current end of the
// log" (origin=end with offset 0): only new output is sent. A plain negative
// offset cannot say that, since -0 is 0.
const LogOffsetEnd = math.MinInt64

// Log types of GET /v1/client/fs/logs.
const (
	logStdout = "stdout"
	logStderr = "stderr"
)

// GET /v1/client/fs/logs/<alloc>?task=&type=stdout|stderr&follow=&offset=&origin=start|end
// streams a task's log as plain text; with follow, every chunk is flushed as
// soon as it is written.
func (s *HTTPServer) allocLogs(w http.ResponseWriter, r *http.Request) (any, error) {
	allocID := r.PathValue("alloc")
	q := r.URL.Query()
	task := q.Get("task")
	if task == "" {
		return nil, badRequest("missing task: use ?task=NAME")
	}
	logType := q.Get("type")
	if logType == "" {
		logType = logStdout
	}
	if logType != logStdout && logType != logStderr {
		return nil, badRequest("invalid type %q: must be stdout or stderr", logType)
	}
	follow, err := boolParam(r, "follow")
	if err != nil {
		return nil, err
	}
	offset, err := logOffset(q.Get("offset"), q.Get("origin"))
	if err != nil {
		return nil, err
	}
	lw := &logWriter{w: w, follow: follow}
	err = s.backend.StreamLogs(r.Context(), allocID, task, logType, follow, offset, lw)
	switch {
	case err != nil && !lw.started:
		return nil, err
	case err != nil && r.Context().Err() == nil:
		// The status line is already sent; all we can do is cut the stream.
		s.logger.Warn("log stream ended with an error", "alloc_id", allocID, "task", task, "error", err)
	case !lw.started:
		lw.start() // an empty log is still a 200
	}
	return nil, nil
}

// logOffset turns ?offset=&origin= into the StreamLogs offset convention.
func logOffset(offsetParam, origin string) (int64, error) {
	var offset int64
	if offsetParam != "" {
		n, err := strconv.ParseInt(offsetParam, 10, 64)
		if err != nil || n < 0 {
			return 0, badRequest("invalid offset %q: must be a non-negative number of bytes", offsetParam)
		}
		offset = n
	}
	switch origin {
	case "", "start":
		return offset, nil
	case "end":
		if offset == 0 {
			return LogOffsetEnd, nil
		}
		return -offset, nil
	}
	return 0, badRequest("invalid origin %q: must be start or end", origin)
}

// logWriter sends the response headers with the first write, so that an
// error found before any output (unknown allocation) can still become a
// JSON error with its status code. A backend that validated its arguments
// may write an empty slice to send the headers early.
type logWriter struct {
	w       http.ResponseWriter
	follow  bool
	started bool
}

func (l *logWriter) start() {
	l.started = true
	h := l.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	l.w.WriteHeader(http.StatusOK)
}

func (l *logWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.start()
	}
	n, err := l.w.Write(p)
	if err != nil {
		return n, err
	}
	if l.follow || len(p) == 0 {
		// A follower wants output as it happens, not when a buffer fills.
		if ferr := http.NewResponseController(l.w).Flush(); ferr != nil {
			return n, ferr
		}
	}
	return n, nil
}
