package agent

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
)

// auditRotationAgent starts a dev agent with ACLs on and the audit block
// read from an agent config file, as an operator writes it, with
// max_size_mb = 1 and the given max_backups. It returns a client, the
// management secret and the audit log's path.
func auditRotationAgent(t *testing.T, maxBackups int) (doorClient, string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	file := filepath.Join(t.TempDir(), "agent.hcl")
	hcl := fmt.Sprintf("audit {\n  enabled     = true\n  path        = %q\n  max_size_mb = 1\n  max_backups = %d\n}\n", path, maxBackups)
	if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DevConfig()
	if err := LoadConfigFile(file, cfg); err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	cfg.Name = "audit-rotation"
	a, mgmt := startACLAgentWith(t, cfg)
	return doorClient{t: t, base: "http://" + a.HTTPAddr()}, mgmt, path
}

// Markers that must never reach the audit log: a request body and a
// query string value. The management secret is checked as well.
const (
	auditBodyMarker  = "body-secret-7731"
	auditQueryMarker = "query-secret-7731"
)

// auditPad lengthens each object path so that a megabyte takes about a
// thousand requests rather than a few thousand.
var auditPad = strings.Repeat("p", 600)

// sendAudited sends write requests numbered from 0 until about mb
// megabytes of audit lines were written (estimated from the first 50),
// mixing an allowed request with the secret in X-Appmesh-Token and a body,
// a denied one without a token, and an allowed one with the secret as a
// Bearer token and a query string. It returns how many it sent.
func sendAudited(t *testing.T, c doorClient, secret, path string, mb float64) int {
	t.Helper()
	n := 0
	send := func(i int) {
		id := fmt.Sprintf("rot-%05d-%s", i, auditPad)
		var code int
		switch i % 3 {
		case 0:
			code, _ = c.do("PUT", "/v1/job/"+id+"/evaluate", secret, `{"note":"`+auditBodyMarker+`"}`)
		case 1:
			code, _ = c.do("DELETE", "/v1/job/"+id+"?namespace=default", "", "")
		case 2:
			code, _ = c.doBearer("POST", "/v1/job/"+id+"/evaluate?q="+auditQueryMarker, secret)
		}
		if code/100 == 5 {
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	for ; n < 50; n++ {
		send(n)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no audit log after 50 writes: %v", err)
	}
	total := int(mb * float64(1<<20) / (float64(fi.Size()) / 50))
	for ; n < total; n++ {
		send(n)
	}
	return n
}

// auditFile is one file of the audit log: a rotated one or the current.
type auditFile struct {
	name    string
	size    int64
	indices []int // request numbers of its entries, in order
	first   int   // length of its first line, newline included
}

var auditIndex = regexp.MustCompile(`/v1/job/rot-(\d{5})-`)

// readAuditFiles reads every file of the audit log in dir, oldest first
// (lumberjack names rotated files audit-<UTC time>.log, which sort by
// age; the current audit.log is the newest). Every line must be a whole
// JSON entry of one of sendAudited's requests, with no secret in it.
func readAuditFiles(t *testing.T, dir, secret string) []auditFile {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != "audit.log" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	names = append(names, "audit.log")
	var files []auditFile
	for _, name := range names {
		files = append(files, readAuditFile(t, filepath.Join(dir, name), secret))
	}
	return files
}

func readAuditFile(t *testing.T, path, secret string) auditFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s: mode %v, want no access for group and others", path, fi.Mode())
	}
	for _, s := range []string{secret, auditBodyMarker, auditQueryMarker} {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s holds %q, a secret, a body or a query string", path, s)
		}
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		t.Errorf("%s ends in a partial line", path)
	}
	f := auditFile{name: filepath.Base(path), size: fi.Size()}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if f.first == 0 {
			f.first = len(sc.Bytes()) + 1
		}
		f.indices = append(f.indices, auditEntryIndex(t, f.name, sc.Bytes()))
	}
	return f
}

// auditEntryIndex checks one line and returns its request number.
func auditEntryIndex(t *testing.T, file string, line []byte) int {
	t.Helper()
	var e AuditEntry
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatalf("%s: line %q is not a JSON entry: %v", file, line, err)
	}
	m := auditIndex.FindStringSubmatch(e.Object)
	if m == nil || e.Time == "" || e.RemoteAddr == "" || e.Route == "" {
		t.Fatalf("%s: entry %+v is not one of the test's requests", file, e)
	}
	i, _ := strconv.Atoi(m[1])
	wantDenied := i%3 == 1
	if (e.Decision == "denied") != wantDenied || (!wantDenied && e.TokenName == "") {
		t.Errorf("%s: entry %d: decision %q status %d token %q, want denied only for the tokenless DELETE",
			file, i, e.Decision, e.Status, e.TokenName)
	}
	return i
}

// TestAuditLogRotation: with max_size_mb = 1, about 2.6 MB of audited
// requests leave the audit log rotated at the configured size (each
// rotated file at most 1 MiB, and rotated only when the next line would
// not fit), every file whole JSON lines without a secret, a body or a
// query string, and every request in exactly one file, in order.
func TestAuditLogRotation(t *testing.T) {
	c, secret, path := auditRotationAgent(t, 10)
	start := time.Now()
	n := sendAudited(t, c, secret, path, 2.6)
	t.Logf("%d audited requests in %s", n, time.Since(start).Round(time.Millisecond))
	var files []auditFile
	testutil.WaitForState(t, "every request in the audit log", func() (bool, string) {
		files = readAuditFiles(t, filepath.Dir(path), secret)
		got := 0
		for _, f := range files {
			got += len(f.indices)
		}
		return got >= n, fmt.Sprintf("%d of %d entries", got, n)
	})
	if len(files) < 3 {
		t.Fatalf("%d files after 2.6 MB with max_size_mb = 1, want at least 2 rotated and the current: %s", len(files), describeAuditFiles(files))
	}
	const maxSize = 1 << 20
	next := 0
	for k, f := range files {
		t.Logf("%s: %d bytes, %d entries", f.name, f.size, len(f.indices))
		if k < len(files)-1 {
			if f.size > maxSize || f.size+int64(files[k+1].first) <= maxSize {
				t.Errorf("%s rotated at %d bytes (next line %d bytes), want the last line to fit under %d and the next not",
					f.name, f.size, files[k+1].first, maxSize)
			}
		}
		for _, i := range f.indices {
			if i != next {
				t.Fatalf("%s holds request %d where request %d was due: a request lost, repeated or reordered", f.name, i, next)
			}
			next++
		}
	}
	if next != n {
		t.Fatalf("the audit log holds %d requests, %d were sent", next, n)
	}
}

// doBearer is do with the token as "Authorization: Bearer" and no body.
func (c doorClient) doBearer(method, path, token string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b)
}

func describeAuditFiles(files []auditFile) string {
	var parts []string
	for _, f := range files {
		parts = append(parts, fmt.Sprintf("%s (%d bytes, %d entries)", f.name, f.size, len(f.indices)))
	}
	return strings.Join(parts, ", ")
}

// TestAuditLogMaxBackups: with max_backups = 1, after three rotations only
// the newest rotated file is kept next to the current one, and the two
// hold the latest requests without a gap.
func TestAuditLogMaxBackups(t *testing.T) {
	c, secret, path := auditRotationAgent(t, 1)
	n := sendAudited(t, c, secret, path, 3.6)
	var files []auditFile
	testutil.WaitForState(t, "one rotated file and the current one holding the last request", func() (bool, string) {
		files = readAuditFiles(t, filepath.Dir(path), secret)
		last := files[len(files)-1].indices
		return len(files) == 2 && len(last) > 0 && last[len(last)-1] == n-1, describeAuditFiles(files)
	})
	t.Logf("%d requests: %s", n, describeAuditFiles(files))
	all := append(append([]int(nil), files[0].indices...), files[1].indices...)
	if all[0] == 0 {
		t.Fatalf("the oldest requests are still there after three rotations: %s", describeAuditFiles(files))
	}
	for k, i := range all {
		if i != all[0]+k {
			t.Fatalf("request %d where %d was due: the kept files have a gap or a repeat", i, all[0]+k)
		}
	}
}
