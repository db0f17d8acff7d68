package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/internal/testutil"
)

// amApp GETs an App Mesh application as its SDKs read it.
func amApp(a *agent, name string) map[string]any {
	a.t.Helper()
	var v map[string]any
	a.getJSON("/appmesh/app/"+name, &v)
	return v
}

// amPut registers an application and requires 200.
func amPut(a *agent, name, body string) {
	a.t.Helper()
	if r := a.request("PUT", "/appmesh/app/"+name, []byte(body)); r.status != http.StatusOK {
		a.fatalf("PUT /appmesh/app/%s: %d %s", name, r.status, r.body)
	}
}

// amOutput reads an application's latest output whole, with its exit code
// ("" while it runs).
func amOutput(a *agent, name string) (string, string) {
	a.t.Helper()
	resp, err := a.http.Get(a.addr + "/appmesh/app/" + name + "/output?stdout_position=0")
	if err != nil {
		a.fatalf("output of %s: %v", name, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String(), resp.Header.Get("X-Exit-Code")
}

// Interval and cron applications registered through /appmesh/ are
// launched on their schedule (periodic children of the application's job):
// GET shows the launches (starts, return, last_start_time, next_start_time),
// output reads the newest launch, and DELETE removes the launches too. A
// long-running application's health_check_cmd decides its health.
func TestAppMeshAPISchedules(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	amPut(a, "every2s", `{"command":"echo interval","start_interval_seconds":"PT2S"}`)
	amPut(a, "cron2s", `{"command":"echo cron","cron":true,"start_interval_seconds":"*/2 * * * * *","behavior":{"exit":"restart"}}`)

	for name, want := range map[string]string{"every2s": "interval\n", "cron2s": "cron\n"} {
		a.waitFor(name+" to be launched twice and to have ended once", func() (bool, string) {
			var st struct {
				Children []struct{ ID string } `json:"children"`
			}
			a.getJSON("/v1/job/"+name+"/periodic", &st)
			out, exit := amOutput(a, name)
			v := amApp(a, name)
			return len(st.Children) >= 2 && v["last_start_time"] != nil && v["next_start_time"] != nil &&
					out == want && exit == "0",
				fmt.Sprintf("%d launches, output %q exit %q, app %v", len(st.Children), out, exit, v)
		})
		v := amApp(a, name)
		if v["start_interval_seconds"] == nil || v["status"] != float64(1) || v["health"] != float64(0) {
			t.Errorf("%s: %v", name, v)
		}
	}
	if v := amApp(a, "cron2s"); v["cron"] != true || v["start_interval_seconds"] != "*/2 * * * * *" {
		t.Errorf("cron2s reads back as %v %v", v["cron"], v["start_interval_seconds"])
	}
	// The launches are not applications of their own.
	var list []map[string]any
	a.getJSON("/appmesh/applications", &list)
	if len(list) != 2 {
		t.Errorf("applications: %d, want 2: %v", len(list), list)
	}

	for _, name := range []string{"every2s", "cron2s"} {
		if r := a.request("DELETE", "/appmesh/app/"+name, nil); r.status != http.StatusOK {
			t.Fatalf("delete %s: %d %s", name, r.status, r.body)
		}
	}
	a.waitFor("the launches to be gone with their applications", func() (bool, string) {
		var jobs []struct{ ID string }
		a.getJSON("/v1/jobs", &jobs)
		var left []string
		for _, j := range jobs {
			if strings.HasPrefix(j.ID, "every2s") || strings.HasPrefix(j.ID, "cron2s") {
				left = append(left, j.ID)
			}
		}
		return len(left) == 0, fmt.Sprint(left)
	})

	// health_check_cmd: unhealthy until the file it tests exists.
	secs, marker := taskSleep(13)
	okFile := filepath.Join(t.TempDir(), "ok")
	amPut(a, "checked", fmt.Sprintf(`{"command":"sleep %d","behavior":{"exit":"restart"},"health_check_cmd":"test -f %s"}`, secs, okFile))
	t.Cleanup(func() { a.request("DELETE", "/appmesh/app/checked", nil) })
	a.waitFor("checked to run and be unhealthy", func() (bool, string) {
		v := amApp(a, "checked")
		return v["health"] == float64(1) && len(findProcs(marker)) == 1, fmt.Sprint(v)
	})
	if err := os.WriteFile(okFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a.waitFor("checked to be healthy", func() (bool, string) {
		v := amApp(a, "checked")
		return v["health"] == float64(0), fmt.Sprint(v)
	})
}

// A docker_image application runs its command in a container of that
// image, with env and sec_env; GET answers docker_image and masks sec_env.
func TestAppMeshAPIDockerImage(t *testing.T) {
	t.Parallel()
	if err := exec.Command("docker", "version").Run(); err != nil {
		t.Skipf("docker engine not reachable (%v): a docker_image application needs one", err)
	}
	image := fmt.Sprintf("appmesh-e2e-amdocker:%d", os.Getpid())
	if err := testutil.BuildScratchImage(image, "../drivers/docker/testdata/srv/main.go.txt"); err != nil {
		t.Fatalf("building the task image: %v", err)
	}
	t.Cleanup(func() { testutil.RemoveImage(image) })
	name := fmt.Sprintf("amdocker-%d", runTag)
	t.Cleanup(func() {
		_ = exec.Command("sh", "-c", "docker ps -aq --filter label=appmesh.job_id="+name+" | xargs -r docker rm -f").Run()
	})
	a := startAgent(t, agentOptions{dev: true})
	a.waitFor("the docker driver to be healthy", func() (bool, string) {
		var nodes []struct {
			Drivers map[string]struct {
				Healthy bool `json:"healthy"`
			} `json:"drivers"`
		}
		a.getJSON("/v1/nodes", &nodes)
		return len(nodes) == 1 && nodes[0].Drivers["docker"].Healthy, fmt.Sprintf("%+v", nodes)
	})
	// No command: the image's own (/srv, which serves HTTP on $PORT and
	// prints a line every second). Port 0: any free port.
	amPut(a, name, `{"docker_image":"`+image+`","env":{"GREETING":"hi","PORT":"0"},
	  "sec_env":{"TOKEN":"s3cret-value"},"resource_limit":{"memory_mb":32,"cpu_shares":50}}`)
	a.waitFor("the container to run and print", func() (bool, string) {
		out, _ := amOutput(a, name)
		return strings.HasPrefix(out, "srv listening on 0\ntick\n"), fmt.Sprintf("output %q", out)
	})
	ps, err := exec.Command("docker", "ps", "-q", "--no-trunc", "--filter", "label=appmesh.job_id="+name).Output()
	if err != nil || len(strings.Fields(string(ps))) != 1 {
		t.Fatalf("running containers of %s: %q %v", name, ps, err)
	}
	inspect, err := exec.Command("docker", "inspect", "--format", "{{.Config.Image}} {{json .Config.Env}} {{.HostConfig.Memory}} {{.HostConfig.CpuShares}}",
		strings.TrimSpace(string(ps))).Output()
	if err != nil {
		t.Fatalf("docker inspect: %v", err)
	}
	for _, want := range []string{image + " ", `"GREETING=hi"`, `"TOKEN=s3cret-value"`, fmt.Sprintf(" %d 50", 32<<20)} {
		if !strings.Contains(string(inspect), want) {
			t.Errorf("container %s: no %q", inspect, want)
		}
	}
	v := amApp(a, name)
	b, _ := json.Marshal(v)
	if v["docker_image"] != image || v["command"] != "" || strings.Contains(string(b), "s3cret") || v["return"] != nil ||
		v["last_start_time"] == nil || v["health"] != float64(0) || !strings.Contains(string(b), `"sec_env":{"TOKEN":"******"}`) {
		t.Errorf("GET: %s", b)
	}
	if r := a.request("DELETE", "/appmesh/app/"+name, nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	a.waitFor("the container to be stopped", func() (bool, string) {
		ps, _ := exec.Command("docker", "ps", "-q", "--filter", "label=appmesh.job_id="+name).Output()
		return strings.TrimSpace(string(ps)) == "", string(ps)
	})
}
