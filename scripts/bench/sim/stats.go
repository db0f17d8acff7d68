package main

import (
	"bufio"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// ds, which it sorts in place. It returns 0 for an empty slice.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	if p <= 0 {
		return ds[0]
	}
	if p >= 100 {
		return ds[len(ds)-1]
	}
	// Nearest rank: the smallest value with at least p% of the values at
	// or below it.
	rank := int(float64(len(ds))*p/100 + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	return ds[rank-1]
}

// rate returns n per second over d (0 when d is not positive).
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// memPeak is the largest memory figures seen by the sampler.
type memPeak struct {
	HeapInuse uint64 // runtime.MemStats.HeapInuse
	Sys       uint64 // runtime.MemStats.Sys
	VmHWM     uint64 // /proc/self/status VmHWM (bytes), the resident peak
	VmRSS     uint64 // /proc/self/status VmRSS at the last sample
}

// memSampler samples the Go runtime's memory figures of this process
// (server and simulator share it) until stopped.
type memSampler struct {
	mu   sync.Mutex
	peak memPeak
	stop chan struct{}
	done chan struct{}
}

func startMemSampler(every time.Duration) *memSampler {
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				m.sample()
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	hwm, rss := procStatus("/proc/self/status")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.peak.HeapInuse = max(m.peak.HeapInuse, ms.HeapInuse)
	m.peak.Sys = max(m.peak.Sys, ms.Sys)
	m.peak.VmHWM = max(m.peak.VmHWM, hwm)
	m.peak.VmRSS = rss
}

// Stop ends sampling and returns the peaks.
func (m *memSampler) Stop() memPeak {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak
}

// procStatus reads VmHWM and VmRSS (in bytes) from a /proc/<pid>/status
// file; missing fields read as 0.
func procStatus(path string) (hwm, rss uint64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmHWM:"):
			hwm = parseKB(line)
		case strings.HasPrefix(line, "VmRSS:"):
			rss = parseKB(line)
		}
	}
	return hwm, rss
}

// parseKB parses "Name:   1234 kB" into bytes.
func parseKB(line string) uint64 {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return 0
	}
	n, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return n * 1024
}

// mb formats bytes as mebibytes.
func mb(b uint64) string {
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 0, 64) + " MB"
}
