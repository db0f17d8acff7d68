// Package health runs a task's health checks (script, http, tcp) while the
// task runs, reports status changes and asks for a restart when a check
// with check_restart keeps failing. It knows nothing about the task runner:
// the runner hands in an exec function, the allocated ports and callbacks.
package health

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// MaxOutput is how much of a check's output is kept (the end of it).
const MaxOutput = 4096

// ExecFunc runs a command inside the task (the driver's ExecTask).
type ExecFunc func(cmd []string, timeout time.Duration) (*drivers.ExecResult, error)

// result is one run of a check.
type result struct {
	ok     bool
	output string
}

// prober runs one kind of check once.
type prober struct {
	exec  ExecFunc
	ports map[string]int
	// host is where http and tcp checks connect (127.0.0.1).
	host   string
	client *http.Client
}

func newProber(exec ExecFunc, ports map[string]int) *prober {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // health probe of a local task, like Consul's tls_skip_verify
		DisableKeepAlives: true,
	}
	return &prober{exec: exec, ports: ports, host: "127.0.0.1", client: &http.Client{Transport: tr}}
}

func (p *prober) run(ctx context.Context, c *structs.Check) result {
	switch c.Type {
	case structs.CheckTypeScript:
		return p.script(c)
	case structs.CheckTypeHTTP:
		return p.http(ctx, c)
	case structs.CheckTypeTCP:
		return p.tcp(ctx, c)
	}
	return result{output: fmt.Sprintf("unknown check type %q", c.Type)}
}

// port resolves a label of the allocation's ports or a number.
func (p *prober) port(c *structs.Check) (int, error) {
	if n, ok := p.ports[c.Port]; ok {
		return n, nil
	}
	if n, err := strconv.Atoi(c.Port); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("port %q is neither a port label of the allocation nor a number", c.Port)
}

func (p *prober) script(c *structs.Check) result {
	if p.exec == nil {
		return result{output: "script checks need a driver that can exec"}
	}
	res, err := p.exec(append([]string{c.Command}, c.Args...), c.TimeoutOr())
	if err != nil {
		return result{output: fmt.Sprintf("script check %q: %v", c.Command, err)}
	}
	out := string(res.Stdout) + string(res.Stderr)
	if res.ExitCode != 0 {
		return result{output: fmt.Sprintf("%sexit code %d", out, res.ExitCode)}
	}
	return result{ok: true, output: out}
}

func (p *prober) http(ctx context.Context, c *structs.Check) result {
	port, err := p.port(c)
	if err != nil {
		return result{output: err.Error()}
	}
	scheme := c.Protocol
	if scheme == "" {
		scheme = "http"
	}
	path := c.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	url := fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(p.host, strconv.Itoa(port)), path)
	ctx, cancel := context.WithTimeout(ctx, c.TimeoutOr())
	defer cancel()
	method := c.Method
	if method == "" {
		method = http.MethodGet
	}
	var reqBody io.Reader
	if c.Body != "" {
		reqBody = strings.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reqBody)
	if err != nil {
		return result{output: fmt.Sprintf("http check: %v", err)}
	}
	setHeaders(req, c.Header)
	resp, err := p.client.Do(req)
	if err != nil {
		return result{output: fmt.Sprintf("HTTP %s %s: %v", method, url, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxOutput))
	out := fmt.Sprintf("HTTP %s %s: %s\n%s", method, url, resp.Status, body)
	return result{ok: resp.StatusCode >= 200 && resp.StatusCode < 300, output: out}
}

// setHeaders adds the check's headers; Host replaces the request's host
// (net/http ignores a Host entry in the header map).
func setHeaders(req *http.Request, header map[string][]string) {
	for k, vs := range header {
		if http.CanonicalHeaderKey(k) == "Host" {
			if len(vs) > 0 {
				req.Host = vs[0]
			}
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
}

func (p *prober) tcp(ctx context.Context, c *structs.Check) result {
	port, err := p.port(c)
	if err != nil {
		return result{output: err.Error()}
	}
	addr := net.JoinHostPort(p.host, strconv.Itoa(port))
	d := net.Dialer{Timeout: c.TimeoutOr()}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return result{output: fmt.Sprintf("TCP connect %s: %v", addr, err)}
	}
	_ = conn.Close()
	return result{ok: true, output: fmt.Sprintf("TCP connect %s: Success", addr)}
}

// tail keeps the last MaxOutput bytes of s.
func tail(s string) string {
	if len(s) <= MaxOutput {
		return s
	}
	return s[len(s)-MaxOutput:]
}
