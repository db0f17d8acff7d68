package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// AgentSource follows a proxy's config on the local client agent with
// blocking queries on structs.MeshProxyConfigPath.
type AgentSource struct {
	// Address is the agent's base URL (http://127.0.0.1:6060).
	Address string
	AllocID string
	Service string
	// Token is sent as X-Appmesh-Token when set.
	Token string
	// Client defaults to http.DefaultClient; blocking queries are bounded
	// by Wait, not by the client.
	Client *http.Client
	// Wait is the longest one blocking query waits (default 5 minutes).
	Wait   time.Duration
	Logger hclog.Logger
}

// tokenHeader is the agent's ACL token header (api.TokenHeader).
const tokenHeader = "X-Appmesh-Token"

// Back-off between failed queries: the agent may be restarting; the proxy
// keeps serving with the last config meanwhile.
const (
	sourceMinBackoff = 250 * time.Millisecond
	sourceMaxBackoff = 30 * time.Second
)

// Watch calls apply with every new config until ctx is done. It never
// gives up on an unreachable agent: it retries with back-off.
func (s *AgentSource) Watch(ctx context.Context, apply func(*structs.MeshProxyConfig) error) error {
	log := s.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	var index uint64
	delay := sourceMinBackoff
	for ctx.Err() == nil {
		cfg, err := s.fetch(ctx, index)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("cannot get the proxy config from the agent; serving the last one", "error", err, "retry_in", delay)
			if !ctxsleep.Sleep(ctx, delay) {
				break
			}
			delay = min(delay*2, sourceMaxBackoff)
			continue
		}
		delay = sourceMinBackoff
		if cfg.Index == index {
			// The wait ended with no change. A short pause keeps an
			// agent that does not block from being polled in a loop.
			if !ctxsleep.Sleep(ctx, sourceMinBackoff) {
				break
			}
			continue
		}
		if err := apply(cfg); err != nil {
			log.Error("proxy config not applied", "index", cfg.Index, "error", err)
		}
		index = cfg.Index
	}
	return ctx.Err()
}

func (s *AgentSource) fetch(ctx context.Context, index uint64) (*structs.MeshProxyConfig, error) {
	wait := s.Wait
	if wait <= 0 {
		wait = 5 * time.Minute
	}
	q := url.Values{}
	q.Set("alloc_id", s.AllocID)
	q.Set("service", s.Service)
	q.Set("index", strconv.FormatUint(index, 10))
	q.Set("wait", wait.String())
	addr := strings.TrimSuffix(s.Address, "/")
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	// The agent answers by the end of wait; allow it some slack.
	rctx, cancel := context.WithTimeout(ctx, wait+wait/16+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, addr+structs.MeshProxyConfigPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if s.Token != "" {
		req.Header.Set(tokenHeader, s.Token)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("agent answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var cfg structs.MeshProxyConfig
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&cfg); err != nil {
		return nil, fmt.Errorf("decode proxy config: %w", err)
	}
	if cfg.Index == 0 {
		if h, err := strconv.ParseUint(resp.Header.Get("X-Appmesh-Index"), 10, 64); err == nil {
			cfg.Index = h
		}
	}
	if cfg.Index == 0 {
		return nil, errors.New("the agent's proxy config has no index")
	}
	return &cfg, nil
}
