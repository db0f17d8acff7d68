package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Target is one proxy's metrics endpoint, the Unix socket an injected
// proxy serves /metrics on in its task directory (which the agent shares
// with it), and the labels that tell its series from another proxy's
// (e.g. service="web"). Keep them bounded: a service name, never an
// alloc ID.
type Target struct {
	Socket string
	Labels map[string]string
}

// Gatherer fetches the /metrics of proxies and merges them, so that a
// client agent can serve its sidecars' metrics from its own endpoint
// (prometheus.Gatherers{agentRegistry, gatherer}).
type Gatherer struct {
	// Targets lists the proxies to scrape at each Gather.
	Targets func() []Target
}

// scrapeTimeout bounds one proxy's answer, so that a stuck proxy cannot
// hold the agent's /v1/metrics.
const scrapeTimeout = 5 * time.Second

// maxMetricsBody bounds one proxy's answer.
const maxMetricsBody = 8 << 20

// Gather implements prometheus.Gatherer. A proxy that cannot be scraped
// is reported in the error (a prometheus.MultiError) while the others'
// families are still returned.
func (g *Gatherer) Gather() ([]*dto.MetricFamily, error) {
	targets := g.Targets()
	results := make([]map[string]*dto.MetricFamily, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = scrape(t)
		}()
	}
	wg.Wait()
	merged := map[string]*dto.MetricFamily{}
	var merr prometheus.MultiError
	for i, fams := range results {
		if errs[i] != nil {
			merr = append(merr, errs[i])
			continue
		}
		for name, f := range fams {
			addLabels(f, targets[i].Labels)
			if have, ok := merged[name]; ok {
				if have.GetType() != f.GetType() {
					merr = append(merr, fmt.Errorf("%s: metric %s has type %s, another proxy's has %s",
						"unix:"+targets[i].Socket, name, f.GetType(), have.GetType()))
					continue
				}
				have.Metric = append(have.Metric, f.Metric...)
				continue
			}
			merged[name] = f
		}
	}
	out := make([]*dto.MetricFamily, 0, len(merged))
	for _, f := range merged {
		sumDuplicates(f)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, merr.MaybeUnwrap()
}

// scrape reads one proxy's /metrics over its socket. No connection is
// kept: each Gather scrapes a socket once.
func scrape(t Target) (map[string]*dto.MetricFamily, error) {
	where := "unix:" + t.Socket
	client := &http.Client{Timeout: scrapeTimeout, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return DialUnix(ctx, t.Socket)
		},
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequest(http.MethodGet, "http://proxy/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("proxy metrics %s: %w", where, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("proxy metrics %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("proxy metrics %s: status %s", where, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(http.MaxBytesReader(nil, resp.Body, maxMetricsBody))
	if err != nil {
		return nil, fmt.Errorf("proxy metrics %s: parse: %w", where, err)
	}
	return fams, nil
}

// addLabels sets the target's labels on every series, replacing a label
// of the same name.
func addLabels(f *dto.MetricFamily, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, m := range f.Metric {
		kept := m.Label[:0]
		for _, l := range m.Label {
			if _, ok := labels[l.GetName()]; !ok {
				kept = append(kept, l)
			}
		}
		for _, k := range names {
			name, value := k, labels[k]
			kept = append(kept, &dto.LabelPair{Name: &name, Value: &value})
		}
		sort.Slice(kept, func(i, j int) bool { return kept[i].GetName() < kept[j].GetName() })
		m.Label = kept
	}
}
