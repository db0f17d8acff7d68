// Package api is the Go client of the appmesh HTTP API. The CLI and the web
// UI use only this package to talk to an agent; request and response bodies
// are the shared types of package structs, so nothing is copied by hand.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by DefaultConfig.
const (
	EnvAddress   = "APPMESH_ADDR"
	EnvToken     = "APPMESH_TOKEN"
	EnvNamespace = "APPMESH_NAMESPACE"
)

// DefaultAddress is the agent's HTTP address when nothing else is given.
const DefaultAddress = "http://127.0.0.1:6060"

// TokenHeader carries the ACL token on every request.
const TokenHeader = "X-Appmesh-Token"

// Response headers set by the agent on reads.
const (
	IndexHeader       = "X-Appmesh-Index"
	KnownLeaderHeader = "X-Appmesh-KnownLeader"
)

// Config says how to reach an agent.
type Config struct {
	// Address is the agent's base URL, e.g. "http://127.0.0.1:6060". A bare
	// "host:port" is taken as http.
	Address string
	// Token is sent as X-Appmesh-Token when not empty.
	Token string
	// Namespace is sent as ?namespace= on every request when not empty; the
	// agent takes an absent one as "default". "*" on a list route means every
	// namespace the token may see.
	Namespace string
	// HTTPClient is used for every request; nil means a client without an
	// overall timeout, because blocking queries and followed logs are long.
	HTTPClient *http.Client
	// TLSConfig reaches an agent over HTTPS with the cluster's CA and a
	// client certificate (api/tls.go); nil: the system's roots.
	TLSConfig *TLSConfig
}

// DefaultConfig reads APPMESH_ADDR, APPMESH_TOKEN and APPMESH_NAMESPACE.
func DefaultConfig() *Config {
	c := &Config{Address: DefaultAddress}
	if v := strings.TrimSpace(os.Getenv(EnvAddress)); v != "" {
		c.Address = v
	}
	c.Token = os.Getenv(EnvToken)
	c.Namespace = strings.TrimSpace(os.Getenv(EnvNamespace))
	c.TLSConfig = tlsFromEnv()
	return c
}

// Client talks to one agent's HTTP API.
type Client struct {
	base      *url.URL
	token     string
	namespace string
	http      *http.Client
}

// NewClient checks the configuration and returns a client. A nil config
// means DefaultConfig().
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	addr := strings.TrimSpace(cfg.Address)
	if addr == "" {
		addr = DefaultAddress
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %v", cfg.Address, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid address %q: the scheme must be http or https", cfg.Address)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid address %q: a host is required, e.g. http://127.0.0.1:6060", cfg.Address)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	hc, err = applyTLS(hc, cfg.TLSConfig)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return &Client{base: u, token: cfg.Token, namespace: strings.TrimSpace(cfg.Namespace), http: hc}, nil
}

// Address returns the agent's base URL.
func (c *Client) Address() string { return c.base.String() }

// Namespace returns the namespace sent with every request ("" = the
// agent's default).
func (c *Client) Namespace() string { return c.namespace }

// WithNamespace returns a client that shares c's connection and token but
// sends ns instead; it is how a write (which takes no QueryOptions) targets
// another namespace, e.g. a job found by a listing across namespaces.
func (c *Client) WithNamespace(ns string) *Client {
	cc := *c
	cc.namespace = strings.TrimSpace(ns)
	return &cc
}

// QueryOptions tune a read.
type QueryOptions struct {
	// WaitIndex > 0 makes the read block until the data's index exceeds it
	// or WaitTime passes (a blocking query).
	WaitIndex uint64
	WaitTime  time.Duration
	// AllowStale lets any server answer, possibly slightly behind the leader.
	AllowStale bool
	// Prefix filters list endpoints by ID prefix.
	Prefix string
	// Namespace, when set, replaces the client's namespace for this read;
	// "*" lists every namespace the token may see.
	Namespace string
	// Context cancels the request; nil means context.Background().
	Context context.Context
}

// QueryMeta comes back with every read.
type QueryMeta struct {
	// LastIndex is the index to pass as WaitIndex to wait for a change.
	LastIndex   uint64
	KnownLeader bool
}

// WriteMeta comes back with every write.
type WriteMeta struct {
	LastIndex uint64
}

func (q *QueryOptions) ctx() context.Context {
	if q == nil || q.Context == nil {
		return context.Background()
	}
	return q.Context
}

func (q *QueryOptions) params(v url.Values) url.Values {
	if v == nil {
		v = url.Values{}
	}
	if q == nil {
		return v
	}
	if q.WaitIndex > 0 {
		v.Set("index", strconv.FormatUint(q.WaitIndex, 10))
	}
	if q.WaitTime > 0 {
		v.Set("wait", q.WaitTime.String())
	}
	if q.AllowStale {
		v.Set("stale", "true")
	}
	if q.Prefix != "" {
		v.Set("prefix", q.Prefix)
	}
	if q.Namespace != "" {
		v.Set("namespace", q.Namespace)
	}
	return v
}

// newRequest builds a request for an already escaped path ("/v1/job/a%2Fb").
func (c *Client) newRequest(ctx context.Context, method, path string, params url.Values, body any) (*http.Request, error) {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("invalid request path %q: %v", path, err)
	}
	u.Path = p
	// The client's namespace goes on every request, unless the call named
	// one itself (QueryOptions.Namespace). Every caller builds params for
	// this one request, so they may be written to.
	if c.namespace != "" && !params.Has("namespace") {
		if params == nil {
			params = url.Values{}
		}
		params.Set("namespace", c.namespace)
	}
	u.RawQuery = params.Encode()

	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		// Required: the agent refuses a write whose body has no type, or a
		// type any web page may send (command/agent/http_guard.go). Callers
		// that replace the body with a binary stream set their own type.
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set(TokenHeader, c.token)
	}
	return req, nil
}

// do sends the request and turns any non-2xx answer into a *StatusError.
// The caller closes the body of a successful response.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("cannot reach the appmesh agent at %s: %w", c.base.String(), err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, newStatusError(resp)
	}
	return resp, nil
}

// query runs a GET and decodes the JSON answer into out.
func (c *Client) query(path string, params url.Values, q *QueryOptions, out any) (*QueryMeta, error) {
	req, err := c.newRequest(q.ctx(), http.MethodGet, path, q.params(params), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeBody(resp, out); err != nil {
		return nil, err
	}
	meta := &QueryMeta{KnownLeader: resp.Header.Get(KnownLeaderHeader) == "true"}
	meta.LastIndex, _ = strconv.ParseUint(resp.Header.Get(IndexHeader), 10, 64)
	return meta, nil
}

// write runs a PUT/POST/DELETE and decodes the JSON answer into out.
func (c *Client) write(method, path string, params url.Values, in, out any) (*WriteMeta, error) {
	req, err := c.newRequest(context.Background(), method, path, params, in)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeBody(resp, out); err != nil {
		return nil, err
	}
	meta := &WriteMeta{}
	meta.LastIndex, _ = strconv.ParseUint(resp.Header.Get(IndexHeader), 10, 64)
	return meta, nil
}

func decodeBody(resp *http.Response, out any) error {
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the agent sent an empty response to %s", resp.Request.URL.Path)
		}
		return fmt.Errorf("decode response of %s: %w", resp.Request.URL.Path, err)
	}
	return nil
}

// escapeID escapes an ID for use as one path segment; job IDs may contain
// '/', which becomes %2F so that the agent can tell it from a sub-resource.
func escapeID(id string) string { return url.PathEscape(id) }
