package consul

import (
	"reflect"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// Nomad's http check fields and flap thresholds reach Consul's check.
func TestRegistrationCheckHTTPFields(t *testing.T) {
	w := &Workload{AllocID: "a1", JobID: "j", Group: "g", Task: "t",
		Ports: []structs.AllocatedPort{{Label: "http", Value: 21000}}}
	hdr := map[string][]string{"Authorization": {"Basic abc"}}
	s := &structs.Service{Name: "web", Port: "http", Checks: []*structs.Check{{
		Type: "http", Protocol: "https", Method: "POST", Body: "{}", Header: hdr, TLSSkipVerify: true,
		SuccessBeforePassing: 2, FailuresBeforeCritical: 3,
	}}}
	reg, err := w.registration(s, "10.0.0.5", "node-1")
	if err != nil {
		t.Fatal(err)
	}
	c := reg.Checks[0]
	if c.HTTP != "https://10.0.0.5:21000/" || c.Method != "POST" || c.Body != "{}" || !c.TLSSkipVerify ||
		!reflect.DeepEqual(c.Header, hdr) || c.SuccessBeforePassing != 2 || c.FailuresBeforeCritical != 3 {
		t.Fatalf("check %+v", c)
	}
	// The registration holds its own copy of the headers.
	hdr["Authorization"][0] = "changed"
	if c.Header["Authorization"][0] != "Basic abc" {
		t.Fatal("the registration shares the job's header map")
	}
}
