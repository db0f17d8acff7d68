package main

import (
	"slices"
	"strings"
	"time"
)

// mergeRounds folds legs that carry the same label (the rounds of a run
// that repeats direct, consul, appmesh several times) into one leg per
// label, in order of first appearance. Each figure of a load becomes the
// median of its rounds: on a shared machine one round can land on a burst
// of other work, and the median ignores it where a mean would not.
func mergeRounds(legs []*legResults) []*legResults {
	var order []string
	byLabel := map[string][]*legResults{}
	for _, l := range legs {
		if _, seen := byLabel[l.Label]; !seen {
			order = append(order, l.Label)
		}
		byLabel[l.Label] = append(byLabel[l.Label], l)
	}
	out := make([]*legResults, 0, len(order))
	for _, label := range order {
		rounds := byLabel[label]
		if len(rounds) == 1 {
			out = append(out, rounds[0])
			continue
		}
		out = append(out, mergeLeg(rounds))
	}
	return out
}

func mergeLeg(rounds []*legResults) *legResults {
	first := rounds[0]
	m := &legResults{Label: first.Label, Started: first.Started, CPUs: first.CPUs, Rounds: len(rounds)}
	var loads []string
	for _, r := range rounds {
		loads = append(loads, r.Load)
	}
	m.Load = strings.Join(loads, " | ")
	for _, fr := range first.Results {
		var same []*result
		for _, r := range rounds {
			if x := find(r, fr.Kind, fr.Conns); x != nil {
				same = append(same, x)
			}
		}
		m.Results = append(m.Results, medianResult(same))
	}
	return m
}

func medianResult(rs []*result) *result {
	f := func(get func(*result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	d := func(get func(*result) time.Duration) time.Duration {
		return time.Duration(f(func(r *result) float64 { return float64(get(r)) }))
	}
	m := *rs[0]
	m.ReqPerS = f(func(r *result) float64 { return r.ReqPerS })
	m.MBPerS = f(func(r *result) float64 { return r.MBPerS })
	m.Latency.P50 = d(func(r *result) time.Duration { return r.Latency.P50 })
	m.Latency.P90 = d(func(r *result) time.Duration { return r.Latency.P90 })
	m.Latency.P99 = d(func(r *result) time.Duration { return r.Latency.P99 })
	m.Setup.P50 = d(func(r *result) time.Duration { return r.Setup.P50 })
	m.Requests, m.Bytes, m.Errors, m.Latency.N, m.Latency.Max = 0, 0, 0, 0, 0
	for _, r := range rs {
		m.Requests += r.Requests
		m.Bytes += r.Bytes
		m.Errors += r.Errors
		m.Latency.N += r.Latency.N
		m.Latency.Max = max(m.Latency.Max, r.Latency.Max)
	}
	return &m
}
