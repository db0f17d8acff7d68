package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The `run` output: one line per load, as it finishes.
func printHeader(w io.Writer) {
	fmt.Fprintf(w, "%-8s %-5s %5s %10s %9s %9s %9s %9s %9s %10s %6s\n",
		"leg", "kind", "conns", "req/s", "MB/s", "p50", "p90", "p99", "max", "setup p50", "errors")
}

func printLine(w io.Writer, label string, r *result) {
	reqs, p50, p90, p99, mx := "-", "-", "-", "-", "-"
	if r.Kind == "rr" {
		reqs = trimFloat(r.ReqPerS, 0)
		p50, p90, p99, mx = fmtDur(r.Latency.P50), fmtDur(r.Latency.P90), fmtDur(r.Latency.P99), fmtDur(r.Latency.Max)
	}
	fmt.Fprintf(w, "%-8s %-5s %5d %10s %9s %9s %9s %9s %9s %10s %6d\n",
		label, r.Kind, r.Conns, reqs, trimFloat(r.MBPerS, 1), p50, p90, p99, mx, fmtDur(r.Setup.P50), r.Errors)
}

func trimFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

// cmdReport prints the legs side by side. Files with the same label are
// rounds of one leg and are merged (mergeRounds). The first label is the
// baseline (the direct connection): latency is reported as added to its latency and
// throughput as the share lost against it.
func cmdReport(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() < 1 {
		return usageError{"usage: meshbench report BASELINE.json [LEG.json ...]"}
	}
	var legs []*legResults
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		leg := new(legResults)
		if err := json.Unmarshal(b, leg); err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		legs = append(legs, leg)
	}
	writeReport(os.Stdout, mergeRounds(legs))
	return nil
}

func writeReport(out io.Writer, legs []*legResults) {
	base := legs[0]
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\tleg\treq/s\tMB/s\tp50\tp99\tadded p50\tadded p99\tthroughput loss\tsetup p50\terrors\t")
	for _, b := range base.Results {
		for _, leg := range legs {
			r := find(leg, b.Kind, b.Conns)
			load := fmt.Sprintf("%s ×%d", b.Kind, b.Conns)
			if r == nil {
				fmt.Fprintf(tw, "%s\t%s\t(missing)\t\t\t\t\t\t\t\t\t\n", load, leg.Label)
				continue
			}
			reqs, p50, p99, ap50, ap99 := "-", "-", "-", "-", "-"
			if r.Kind == "rr" {
				reqs = trimFloat(r.ReqPerS, 0)
				p50, p99 = fmtDur(r.Latency.P50), fmtDur(r.Latency.P99)
				if leg != base {
					ap50 = signed(r.Latency.P50 - b.Latency.P50)
					ap99 = signed(r.Latency.P99 - b.Latency.P99)
				}
			}
			loss := "-"
			if leg != base && b.MBPerS > 0 {
				loss = trimFloat(100*(1-r.MBPerS/b.MBPerS), 1) + "%"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n",
				load, leg.Label, reqs, trimFloat(r.MBPerS, 1), p50, p99, ap50, ap99, loss, fmtDur(r.Setup.P50), r.Errors)
		}
	}
	tw.Flush()
	for _, leg := range legs {
		rounds := ""
		if leg.Rounds > 1 {
			rounds = fmt.Sprintf(", median of %d rounds", leg.Rounds)
		}
		fmt.Fprintf(out, "%s: started %s, load average %s, %d CPUs%s\n", leg.Label, leg.Started.Format(time.RFC3339), leg.Load, leg.CPUs, rounds)
	}
	writeVerdict(out, legs)
}

// writeVerdict checks issue 18's targets when the appmesh and consul legs
// are both there: appmesh no slower than Consul's proxy (p50 and p99 per
// request, req/s), and under 10% throughput loss against direct at 100
// connections.
func writeVerdict(out io.Writer, legs []*legResults) {
	var am, cs *legResults
	for _, l := range legs {
		switch {
		case strings.HasPrefix(l.Label, "appmesh"):
			am = l
		case strings.HasPrefix(l.Label, "consul"):
			cs = l
		case l.Label == "forward" || l.Label == "splice":
			writeFloor(out, legs[0], l)
		}
	}
	if am == nil {
		return
	}
	for _, a := range am.Results {
		if a.Kind != "rr" {
			continue
		}
		if c := find(cs, a.Kind, a.Conns); c != nil {
			ok := a.Latency.P50 <= c.Latency.P50 && a.Latency.P99 <= c.Latency.P99 && a.ReqPerS >= c.ReqPerS
			fmt.Fprintf(out, "target: appmesh no slower than consul at %d connections (p50 %s vs %s, p99 %s vs %s, req/s %s vs %s): %s\n",
				a.Conns, fmtDur(a.Latency.P50), fmtDur(c.Latency.P50), fmtDur(a.Latency.P99), fmtDur(c.Latency.P99),
				trimFloat(a.ReqPerS, 0), trimFloat(c.ReqPerS, 0), okMiss(ok))
		}
		if b := find(legs[0], a.Kind, a.Conns); b != nil && a.Conns == 100 && b.ReqPerS > 0 {
			loss := 100 * (1 - a.ReqPerS/b.ReqPerS)
			fmt.Fprintf(out, "target: appmesh throughput loss against direct at 100 connections under 10%%: %s%% %s\n",
				trimFloat(loss, 1), okMiss(loss < 10))
		}
	}
}

// writeFloor reports what two plain TCP hops (a floor leg) lose against
// direct at 100 connections: the part of any proxy pair's loss that is the
// hops themselves, before TLS and policy.
func writeFloor(out io.Writer, base, floor *legResults) {
	f, b := find(floor, "rr", 100), find(base, "rr", 100)
	if f == nil || b == nil || b.ReqPerS <= 0 {
		return
	}
	fmt.Fprintf(out, "floor: %s (two plain TCP hops, no TLS) loses %s%% against direct at 100 connections\n",
		floor.Label, trimFloat(100*(1-f.ReqPerS/b.ReqPerS), 1))
}

func okMiss(ok bool) string {
	if ok {
		return "OK"
	}
	return "MISS"
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + fmtDur(d)
	}
	return fmtDur(d)
}

func find(leg *legResults, kind string, conns int) *result {
	if leg == nil {
		return nil
	}
	for _, r := range leg.Results {
		if r.Kind == kind && r.Conns == conns {
			return r
		}
	}
	return nil
}
