package agent

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
)

// tokenHeader carries the ACL token; ?token= is accepted too for tools that
// cannot set headers. Neither is ever logged.
const tokenHeader = "X-Appmesh-Token"

// Response headers of reads.
const (
	indexHeader       = "X-Appmesh-Index"
	knownLeaderHeader = "X-Appmesh-KnownLeader"
)

// maxBodyBytes caps request bodies; a job spec is a few KiB, so 4 MiB leaves
// ample room while keeping a misbehaving client from exhausting memory.
const maxBodyBytes = 4 << 20

// parseQuery fills the common read options from the URL: ?index=&wait=
// (blocking query), ?stale, ?prefix=, ?namespace= and the token.
func parseQuery(r *http.Request, q *structs.QueryOptions) error {
	v := r.URL.Query()
	if s := v.Get("index"); s != "" {
		idx, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return badRequest("invalid index %q: must be a non-negative integer", s)
		}
		q.MinQueryIndex = idx
	}
	if s := v.Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return badRequest("invalid wait %q: use a duration such as \"10s\" or \"5m\"", s)
		}
		q.MaxQueryTime = min(d, structs.MaxBlockingQueryTime)
	}
	if v.Has("stale") {
		stale, err := parseBoolParam(v.Get("stale"), true)
		if err != nil {
			return badRequest("invalid stale %q: %v", v.Get("stale"), err)
		}
		q.AllowStale = stale
	}
	q.Prefix = v.Get("prefix")
	q.Namespace = v.Get("namespace")
	q.AuthToken = authToken(r)
	return nil
}

// boolParam reads an optional boolean query parameter; a bare "?purge" means
// true.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query()
	if !v.Has(name) {
		return false, nil
	}
	b, err := parseBoolParam(v.Get(name), true)
	if err != nil {
		return false, badRequest("invalid %s %q: %v", name, v.Get(name), err)
	}
	return b, nil
}

func parseBoolParam(s string, empty bool) (bool, error) {
	if s == "" {
		return empty, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("must be true or false")
	}
	return b, nil
}

// setMeta writes the blocking-query headers of a read.
func setMeta(w http.ResponseWriter, m *structs.QueryMeta) {
	w.Header().Set(indexHeader, strconv.FormatUint(m.Index, 10))
	w.Header().Set(knownLeaderHeader, strconv.FormatBool(m.KnownLeader))
}

// setWriteMeta writes the index of a write, so that the caller can block on
// what it wrote.
func setWriteMeta(w http.ResponseWriter, m *structs.WriteMeta) {
	w.Header().Set(indexHeader, strconv.FormatUint(m.Index, 10))
}

// decodeBody reads a JSON body of at most maxBodyBytes into v, rejecting
// unknown fields so that a typo in a job is an error, not a silent default.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := readBody(w, r)
	if err != nil {
		return err
	}
	if err := jobspec.StrictDecodeJSON("request body", data, v); err != nil {
		return badRequest("%s", strings.TrimSpace(err.Error()))
	}
	return nil
}

// readBody reads a request body of at most maxBodyBytes that is not empty.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &httpError{code: http.StatusRequestEntityTooLarge,
				msg: "request body too large: limit is 4 MiB"}
		}
		return nil, badRequest("cannot read request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, badRequest("request body is empty: expected a JSON object")
	}
	return data, nil
}
