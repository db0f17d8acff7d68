package health

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// An http check sends its method, headers (Host included) and body.
func TestProbe_HTTPMethodHeaderBody(t *testing.T) {
	type seen struct{ method, auth, host, body string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.Header.Get("Authorization"), r.Host, string(b)}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p := newProber(nil, map[string]int{})
	c := &structs.Check{
		Type: structs.CheckTypeHTTP, Port: port, Path: "/health", Method: "POST", Body: `{"ping":1}`,
		Header: map[string][]string{"Authorization": {"Basic abc"}, "Host": {"svc.example"}},
	}
	res := p.run(context.Background(), c)
	if !res.ok {
		t.Fatalf("check failed: %s", res.output)
	}
	s := <-got
	if s.method != "POST" || s.auth != "Basic abc" || s.host != "svc.example" || s.body != `{"ping":1}` {
		t.Fatalf("server saw %+v", s)
	}
	// Default stays a GET without body.
	res = p.run(context.Background(), &structs.Check{Type: structs.CheckTypeHTTP, Port: port})
	if s = <-got; !res.ok || s.method != "GET" || s.body != "" {
		t.Fatalf("default request: %+v, %s", s, res.output)
	}
}

// success_before_passing and failures_before_critical hold the status
// until enough consecutive results agree.
func TestFlapDamper(t *testing.T) {
	c := &structs.Check{SuccessBeforePassing: 2, FailuresBeforeCritical: 3}
	var d flapDamper
	steps := []struct {
		ok   bool
		want string
	}{
		{true, ""}, {true, "healthy"}, {false, ""}, {false, ""}, {true, ""}, {false, ""},
		{false, ""}, {false, "unhealthy"}, {false, "unhealthy"}, {true, ""}, {true, "healthy"},
	}
	for i, s := range steps {
		if got := d.status(c, s.ok); got != s.want {
			t.Fatalf("step %d (ok=%v): got %q, want %q", i, s.ok, got, s.want)
		}
	}
	// Zero thresholds decide at once.
	var z flapDamper
	if z.status(&structs.Check{}, false) != "unhealthy" || z.status(&structs.Check{}, true) != "healthy" {
		t.Fatal("zero thresholds must decide at once")
	}
}
