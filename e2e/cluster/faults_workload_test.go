package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/e2e/faults"
)

// workload is the checked workload of a fault schedule: workers register,
// update, read and stop a few jobs through every agent, servers and
// clients, with and without ?stale, and record each call.
type workload struct {
	d       *dockerCluster
	rec     *faults.Recorder
	keys    []string
	secs    map[string]int // the sleeper argument of each job's tasks
	taskMem int            // MB per task: a tenth of the smaller node
	version atomic.Int64
	running int // allocations running at the last convergence check
	hc      *http.Client
}

func newWorkload(d *dockerCluster, nKeys, taskMem int) *workload {
	w := &workload{d: d, rec: faults.NewRecorder(), secs: map[string]int{}, taskMem: taskMem,
		hc: &http.Client{Timeout: 8 * time.Second}}
	for i := 0; i < nKeys; i++ {
		k := fmt.Sprintf("fj%d", i)
		w.keys = append(w.keys, k)
		w.secs[k] = taskSleep(500 + i)
	}
	return w
}

// run starts n workers, each with its own seeded source, until ctx ends.
func (w *workload) run(ctx context.Context, n int, seed uint64) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed+uint64(id)+1, uint64(id)))
			for ctx.Err() == nil {
				w.one(id, rng)
				time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond)
			}
		}(i)
	}
	wg.Wait()
}

// one makes one random call and records it.
func (w *workload) one(worker int, rng *rand.Rand) {
	key := w.keys[rng.IntN(len(w.keys))]
	agents := append(append([]*dockerAgent{}, w.d.servers...), w.d.clients...)
	via := agents[rng.IntN(len(agents))]
	in := faults.Input{Key: key}
	switch r := rng.IntN(100); {
	case r < 35:
		in.Kind = faults.Register
		in.V = int(w.version.Add(1))
	case r < 45:
		in.Kind = faults.Stop
	case r < 80:
		in.Kind = faults.Read
	default:
		in.Kind = faults.StaleRead
		via = w.d.servers[rng.IntN(len(w.d.servers))] // its own state
	}
	call := faults.Call{Worker: worker, Agent: via.name, In: in, Start: w.rec.Now()}
	out, err := w.do(via, in, 1+rng.IntN(2))
	call.End = w.rec.Now()
	call.Out = out
	if err != nil {
		call.Out.Unknown = true
		call.Err = err.Error()
	}
	w.rec.Add(call)
}

// do sends the call; an error means its outcome is unknown.
func (w *workload) do(via *dockerAgent, in faults.Input, count int) (faults.Output, error) {
	base := "http://" + via.ip + ":6060"
	switch in.Kind {
	case faults.Register:
		job := hostJob(execJob(in.Key, "service", count, w.taskMem, "/sleeper", strconv.Itoa(w.secs[in.Key])))
		job["meta"] = map[string]string{"v": strconv.Itoa(in.V)}
		body, _ := json.Marshal(map[string]any{"job": job})
		code, _, err := w.send(http.MethodPut, base+"/v1/jobs", body)
		if err == nil && code/100 != 2 {
			err = fmt.Errorf("HTTP %d", code)
		}
		return faults.Output{}, err
	case faults.Stop:
		code, _, err := w.send(http.MethodDelete, base+"/v1/job/"+in.Key, nil)
		switch {
		case err != nil:
			return faults.Output{}, err
		case code == http.StatusNotFound:
			return faults.Output{NotFound: true}, nil
		case code/100 != 2:
			return faults.Output{}, fmt.Errorf("HTTP %d", code)
		}
		return faults.Output{}, nil
	}
	url := base + "/v1/job/" + in.Key
	if in.Kind == faults.StaleRead {
		url += "?stale"
	}
	code, body, err := w.send(http.MethodGet, url, nil)
	switch {
	case err != nil:
		return faults.Output{}, err
	case code == http.StatusNotFound:
		return faults.Output{NotFound: true}, nil
	case code != http.StatusOK:
		return faults.Output{}, fmt.Errorf("HTTP %d: %s", code, truncate(string(body), 200))
	}
	var j struct {
		Stop bool              `json:"stop"`
		Meta map[string]string `json:"meta"`
	}
	if err := json.Unmarshal(body, &j); err != nil {
		return faults.Output{}, fmt.Errorf("decode job: %v", err)
	}
	v, err := strconv.Atoi(j.Meta["v"])
	if err != nil {
		return faults.Output{}, fmt.Errorf("job %s has no version marker: meta %v", in.Key, j.Meta)
	}
	return faults.Output{State: faults.State{Exists: true, Stopped: j.Stop, V: v}}, nil
}

func (w *workload) send(method, url string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, data, err
}
