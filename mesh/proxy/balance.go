package proxy

import (
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// upSnap is an upstream's config with what the proxy derives from it:
// subsets resolved to their instances, and the identity each instance
// must present.
type upSnap struct {
	cfg       *structs.MeshUpstreamConfig
	all       []*structs.MeshInstance
	subsets   []subsetSnap
	total     int               // sum of positive weights
	idByAddr  map[string]string // instance address -> expected SPIFFE ID
	defaultID string            // the destination's identity
}

type subsetSnap struct {
	name    string
	weight  int
	members []*structs.MeshInstance
}

func instAddr(i *structs.MeshInstance) string {
	return net.JoinHostPort(i.Address, strconv.Itoa(i.Port))
}

// inSubset: an instance belongs when it has every tag of the subset and,
// if the subset names one, its job version.
func inSubset(i *structs.MeshInstance, s *structs.MeshSubset) bool {
	if s.JobVersion != nil && i.JobVersion != *s.JobVersion {
		return false
	}
	for _, t := range s.Tags {
		if !slices.Contains(i.Tags, t) {
			return false
		}
	}
	return true
}

func newUpSnap(cfg *structs.MeshUpstreamConfig, trustDomain string) *upSnap {
	ns := cfg.DestinationNamespace
	if ns == "" {
		ns = "default"
	}
	s := &upSnap{cfg: cfg, all: cfg.Instances, idByAddr: map[string]string{},
		defaultID: structs.MeshSPIFFEID(trustDomain, ns, cfg.DestinationName)}
	for _, i := range cfg.Instances {
		id := i.SPIFFEID
		if id == "" {
			id = s.defaultID
		}
		s.idByAddr[instAddr(i)] = id
	}
	if cfg.Split != nil {
		for _, sub := range cfg.Split.Subsets {
			ss := subsetSnap{name: sub.Name, weight: sub.Weight}
			for _, i := range cfg.Instances {
				if inSubset(i, sub) {
					ss.members = append(ss.members, i)
				}
			}
			if ss.weight > 0 {
				s.total += ss.weight
			}
			s.subsets = append(s.subsets, ss)
		}
	}
	return s
}

func (s *upSnap) expectedID(addr string) string {
	if id, ok := s.idByAddr[addr]; ok {
		return id
	}
	return s.defaultID
}

// candidates returns the instances to choose from: those of the named
// subset (a route's), or of a subset drawn by weight, or all of them
// without a split. A drawn subset with no instance gives way to the other
// weighted ones; a subset at weight 0 is never drawn, which is how a
// version is drained.
func (s *upSnap) candidates(subset string) []*structs.MeshInstance {
	if subset != "" {
		for _, ss := range s.subsets {
			if ss.name == subset {
				return ss.members
			}
		}
		return nil
	}
	if len(s.subsets) == 0 || s.total == 0 {
		return s.all
	}
	n := rand.IntN(s.total)
	first := -1
	for i, ss := range s.subsets {
		if ss.weight <= 0 {
			continue
		}
		if n < ss.weight {
			first = i
			break
		}
		n -= ss.weight
	}
	if len(s.subsets[first].members) > 0 {
		return s.subsets[first].members
	}
	var out []*structs.MeshInstance
	for _, ss := range s.subsets {
		if ss.weight > 0 {
			out = append(out, ss.members...)
		}
	}
	return out
}

// matchRoute returns the first route whose path prefix and headers match.
func (s *upSnap) matchRoute(r *http.Request) *structs.MeshRoute {
	if s.cfg.Split == nil {
		return nil
	}
	for _, rt := range s.cfg.Split.Routes {
		if rt.PathPrefix != "" && !strings.HasPrefix(r.URL.Path, rt.PathPrefix) {
			continue
		}
		ok := true
		for k, v := range rt.Headers {
			if r.Header.Get(k) != v {
				ok = false
				break
			}
		}
		if ok {
			return rt
		}
	}
	return nil
}

// routeLabel names a route in metrics by its prefix: bounded by config.
func routeLabel(rt *structs.MeshRoute) string {
	switch {
	case rt == nil:
		return "default"
	case rt.PathPrefix == "":
		return "*"
	}
	return rt.PathPrefix
}

// Circuit breaker: after breakerThreshold consecutive failures an
// instance is left out for an ejection period that doubles with each
// ejection in a row, up to breakerMaxEject. One success resets it.
const (
	breakerThreshold = 5
	breakerBaseEject = 2 * time.Second
	breakerMaxEject  = 30 * time.Second
)

type breakerState struct {
	fails     int
	ejections int
	until     time.Time
}

type breakers struct {
	mu sync.Mutex
	m  map[string]*breakerState
}

func (b *breakers) ejected(addr string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.m[addr]
	return ok && now.Before(st.until)
}

// failure records a failure and reports whether it ejected the instance.
func (b *breakers) failure(addr string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*breakerState{}
	}
	st := b.m[addr]
	if st == nil {
		st = &breakerState{}
		b.m[addr] = st
	}
	st.fails++
	if st.fails < breakerThreshold || now.Before(st.until) {
		return false
	}
	st.fails = 0
	st.ejections++
	d := breakerBaseEject << min(st.ejections-1, 4)
	st.until = now.Add(min(d, breakerMaxEject))
	return true
}

func (b *breakers) success(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, addr)
}

// pick chooses an instance among the candidates round robin, skipping
// those tried already and those the breaker ejected; when every one is
// ejected it still tries one rather than failing outright.
func pick(cands []*structs.MeshInstance, rr *atomic.Uint64, br *breakers, tried map[string]bool) *structs.MeshInstance {
	if len(cands) == 0 {
		return nil
	}
	now := time.Now()
	start := rr.Add(1)
	var fallback *structs.MeshInstance
	for k := range cands {
		i := cands[(start+uint64(k))%uint64(len(cands))]
		a := instAddr(i)
		if tried[a] {
			continue
		}
		if br.ejected(a, now) {
			if fallback == nil {
				fallback = i
			}
			continue
		}
		return i
	}
	return fallback
}
