package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// legResults is what `run` writes for one leg (one path to the server).
type legResults struct {
	Label   string    `json:"label"`
	Started time.Time `json:"started"`
	CPUs    int       `json:"cpus"`
	Load    string    `json:"loadavg,omitempty"`
	Results []*result `json:"results"`
	// Rounds is set by the report when it merged several runs of the leg.
	Rounds int `json:"rounds,omitempty"`
}

// result is one load of one leg: request/response at a number of
// connections, or bulk streaming.
type result struct {
	Kind     string  `json:"kind"` // "rr" or "bulk"
	Conns    int     `json:"conns"`
	ReqSize  int     `json:"req_size,omitempty"`
	RespSize int     `json:"resp_size"`
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests,omitempty"`
	Bytes    int64   `json:"bytes"`
	ReqPerS  float64 `json:"req_per_s,omitempty"`
	MBPerS   float64 `json:"mb_per_s"`
	// Latency of a request inside the measured window.
	Latency latencies `json:"latency"`
	// Setup is dial + hello + first request/response of each connection:
	// through a proxy pair it includes the proxies' mTLS handshake.
	Setup  latencies `json:"setup"`
	Errors int       `json:"errors"`
}

type loadOptions struct {
	addr      string
	label     string
	conns     []int
	bulkConns []int
	req, resp int
	chunk     int
	duration  time.Duration
	warmup    time.Duration
	jsonPath  string
}

func cmdRun(ctx context.Context, args []string) error {
	o, err := parseRunFlags(args)
	if err != nil {
		return err
	}
	leg := &legResults{Label: o.label, Started: time.Now().UTC(), CPUs: runtime.NumCPU(), Load: loadavg()}
	printHeader(os.Stdout)
	for _, n := range o.conns {
		r, err := runRR(ctx, o, n)
		if err != nil {
			return fmt.Errorf("%s, %d connections: %w", o.label, n, err)
		}
		leg.Results = append(leg.Results, r)
		printLine(os.Stdout, o.label, r)
	}
	for _, n := range o.bulkConns {
		r, err := runBulk(ctx, o, n)
		if err != nil {
			return fmt.Errorf("%s, bulk over %d connections: %w", o.label, n, err)
		}
		leg.Results = append(leg.Results, r)
		printLine(os.Stdout, o.label, r)
	}
	if o.jsonPath == "" {
		return nil
	}
	b, err := json.MarshalIndent(leg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.jsonPath, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

func parseRunFlags(args []string) (loadOptions, error) {
	var o loadOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "", "the address to load: the server, or a proxy's upstream listener")
	fs.StringVar(&o.label, "label", "direct", "the leg's name in the output")
	conns := fs.String("conns", "1,100", "request/response loads, by number of concurrent connections")
	bulk := fs.String("bulk-conns", "1", "bulk streaming loads, by number of connections (empty: none)")
	fs.IntVar(&o.req, "req", 1024, "request size in bytes")
	fs.IntVar(&o.resp, "resp", 1024, "response size in bytes")
	fs.IntVar(&o.chunk, "chunk", 64<<10, "bulk: the server's write size in bytes")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each load")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each load")
	fs.StringVar(&o.jsonPath, "json", "", "write the leg's results to this file")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err.Error()}
	}
	var err error
	if o.conns, err = parseInts(*conns); err != nil {
		return o, usageError{"-conns: " + err.Error()}
	}
	if o.bulkConns, err = parseInts(*bulk); err != nil {
		return o, usageError{"-bulk-conns: " + err.Error()}
	}
	for _, h := range []hello{{Mode: modeRR, ReqSize: uint32(o.req), RespSize: uint32(o.resp)}, {Mode: modeBulk, RespSize: uint32(o.chunk)}} {
		if err := h.validate(); err != nil || o.req < 1 || o.resp < 1 || o.chunk < 1 {
			return o, usageError{fmt.Sprintf("sizes: %v", err)}
		}
	}
	if o.addr == "" || o.duration <= 0 || o.warmup < 0 {
		return o, usageError{"-addr is required, -duration must be positive"}
	}
	return o, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// window is the measured part of a load: a sample counts when its request
// started inside [from, to).
type window struct{ from, to time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.from) && t.Before(w.to) }

// openConns dials n connections one after the other (so that their setup
// times do not queue behind each other), sends the hello and, for
// request/response, one first request. It returns the setup durations.
func openConns(ctx context.Context, o loadOptions, n int, h hello) ([]net.Conn, []time.Duration, error) {
	conns := make([]net.Conn, 0, n)
	setup := make([]time.Duration, 0, n)
	d := net.Dialer{Timeout: 10 * time.Second}
	req, resp := make([]byte, h.ReqSize), make([]byte, h.RespSize)
	for range n {
		start := time.Now()
		c, err := d.DialContext(ctx, "tcp", o.addr)
		if err == nil {
			conns = append(conns, c)
			err = firstExchange(c, h, req, resp)
		}
		if err != nil {
			closeAll(conns)
			return nil, nil, fmt.Errorf("connection %d of %d to %s: %w", len(conns), n, o.addr, err)
		}
		setup = append(setup, time.Since(start))
	}
	return conns, setup, nil
}

func firstExchange(c net.Conn, h hello, req, resp []byte) error {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(h.marshal()); err != nil {
		return fmt.Errorf("write hello: %w", err)
	}
	if h.Mode == modeRR {
		if _, err := c.Write(req); err != nil {
			return fmt.Errorf("write request: %w", err)
		}
	}
	if _, err := io.ReadFull(c, resp); err != nil {
		return fmt.Errorf("read first response: %w", err)
	}
	return nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// runRR runs closed-loop request/response on n connections: each sends a
// request, waits for the whole response and sends the next.
func runRR(ctx context.Context, o loadOptions, n int) (*result, error) {
	h := hello{Mode: modeRR, ReqSize: uint32(o.req), RespSize: uint32(o.resp)}
	conns, setup, err := openConns(ctx, o, n, h)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	start := time.Now()
	w := window{from: start.Add(o.warmup), to: start.Add(o.warmup + o.duration)}
	samples := make([][]time.Duration, n)
	errs := make([]error, n)
	stop := context.AfterFunc(ctx, func() { closeAll(conns) })
	defer stop()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples[i], errs[i] = rrLoop(c, w, o.req, o.resp)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	r := &result{Kind: "rr", Conns: n, ReqSize: o.req, RespSize: o.resp, Seconds: o.duration.Seconds(), Setup: summarise(setup)}
	var all []time.Duration
	for i := range samples {
		all = append(all, samples[i]...)
		if errs[i] != nil {
			r.Errors++
			fmt.Fprintf(os.Stderr, "meshbench run: %s connection %d: %v\n", o.label, i, errs[i])
		}
	}
	if r.Errors == n {
		return nil, fmt.Errorf("every connection failed: %w", errors.Join(errs...))
	}
	r.Latency = summarise(all)
	r.Requests = int64(len(all))
	r.Bytes = r.Requests * int64(o.req+o.resp)
	r.ReqPerS = float64(r.Requests) / r.Seconds
	r.MBPerS = float64(r.Bytes) / r.Seconds / 1e6
	return r, nil
}

func rrLoop(c net.Conn, w window, reqSize, respSize int) ([]time.Duration, error) {
	req, resp := make([]byte, reqSize), make([]byte, respSize)
	// A stuck proxy must not hang the run.
	c.SetDeadline(w.to.Add(30 * time.Second))
	out := make([]time.Duration, 0, 1<<14)
	for {
		begin := time.Now()
		if !begin.Before(w.to) {
			return out, nil
		}
		if _, err := c.Write(req); err != nil {
			return out, fmt.Errorf("write request: %w", err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			return out, fmt.Errorf("read response: %w", err)
		}
		if w.contains(begin) {
			out = append(out, time.Since(begin))
		}
	}
}

// runBulk streams from the server on n connections and counts the bytes
// that arrive inside the window.
func runBulk(ctx context.Context, o loadOptions, n int) (*result, error) {
	h := hello{Mode: modeBulk, RespSize: uint32(o.chunk)}
	conns, setup, err := openConns(ctx, o, n, h)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	start := time.Now()
	w := window{from: start.Add(o.warmup), to: start.Add(o.warmup + o.duration)}
	counts := make([]int64, n)
	errs := make([]error, n)
	stop := context.AfterFunc(ctx, func() { closeAll(conns) })
	defer stop()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = bulkLoop(c, w)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	r := &result{Kind: "bulk", Conns: n, RespSize: o.chunk, Seconds: o.duration.Seconds(), Setup: summarise(setup)}
	for i := range counts {
		r.Bytes += counts[i]
		if errs[i] != nil {
			r.Errors++
			fmt.Fprintf(os.Stderr, "meshbench run: %s bulk connection %d: %v\n", o.label, i, errs[i])
		}
	}
	if r.Errors == n {
		return nil, fmt.Errorf("every connection failed: %w", errors.Join(errs...))
	}
	r.MBPerS = float64(r.Bytes) / r.Seconds / 1e6
	return r, nil
}

func bulkLoop(c net.Conn, w window) (int64, error) {
	buf := make([]byte, 256<<10)
	c.SetDeadline(w.to.Add(30 * time.Second))
	var total int64
	for {
		k, err := c.Read(buf)
		now := time.Now()
		if w.contains(now) {
			total += int64(k)
		}
		if !now.Before(w.to) {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("read: %w", err)
		}
	}
}

// loadavg is the machine's load when the leg started, to judge how noisy
// its figures are.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
