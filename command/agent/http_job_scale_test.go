package agent

import (
	"strings"
	"testing"
)

func TestDecodeScaleBody(t *testing.T) {
	for _, tc := range []struct {
		body, group string
		count       int
		err         string
	}{
		{`{"group": "web", "count": 3}`, "web", 3, ""},
		{`{"Count": 0, "Target": {"Group": "web", "Job": "x"}, "Message": "m"}`, "web", 0, ""},
		{`{"group": "web"}`, "", 0, `"group" and "count" are required`},
		{`{"Count": 2}`, "", 0, "Target.Group is required"},
		{`{"Target": {"Group": "web"}}`, "", 0, "Count is required"},
		{`{"Count": 2, "Target": {"Group": "web", "Task": "t"}}`, "", 0, `Target: unknown key "Task"`},
		{`{"group": "web", "count": 1, "Count": 2}`, "", 0, `unknown field "group"`},
	} {
		args, err := decodeScaleBody([]byte(tc.body))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.body, err, tc.err)
			}
			continue
		}
		if err != nil || args.Group != tc.group || args.Count != tc.count {
			t.Errorf("%s: %+v %v", tc.body, args, err)
		}
	}
}
