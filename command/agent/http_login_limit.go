package agent

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// loginLimiter bounds how fast one client address may try logins and
// refreshes on this agent: a token bucket per address. It comes on top of
// the servers' per-user lockout, which stops guessing one user's password
// but not trying one password against many users.
type loginLimiter struct {
	mu      sync.Mutex
	burst   float64
	perSec  float64
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxLimiterAddrs bounds the limiter's memory; full buckets (addresses
// that have been quiet) are dropped first when it is reached.
const maxLimiterAddrs = 4096

func newLoginLimiter(burst int, perSec float64) *loginLimiter {
	return &loginLimiter{burst: float64(burst), perSec: perSec, buckets: map[string]*bucket{}, now: time.Now}
}

// allow takes one token for addr; when none is left it says how long until
// the next one.
func (l *loginLimiter) allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxLimiterAddrs {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.perSec)
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

func (l *loginLimiter) prune(now time.Time) {
	for addr, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSec >= l.burst {
			delete(l.buckets, addr)
		}
	}
	if len(l.buckets) >= maxLimiterAddrs {
		l.buckets = map[string]*bucket{} // all busy: start over rather than grow
	}
}

// limited wraps a login endpoint: too many tries from one address answer
// 429 with Retry-After, before the body is read or a server is asked.
func (l *loginLimiter) limited(fn endpoint) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		addr, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			addr = r.RemoteAddr
		}
		if ok, wait := l.allow(addr); !ok {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			return nil, &httpError{code: http.StatusTooManyRequests,
				msg: "too many login attempts from " + addr + ": try again in " + strconv.Itoa(secs) + "s"}
		}
		return fn(w, r)
	}
}
