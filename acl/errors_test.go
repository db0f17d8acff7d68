package acl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
)

func TestDenialTexts(t *testing.T) {
	a := mustACL(t, `namespace "dev" { policy = "read" }`)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"namespace capability", a.CheckNamespace("prod", CapabilitySubmitJob),
			`Permission denied: missing capability "submit-job" in namespace "prod"`},
		{"default namespace is named", a.CheckNamespace("", CapabilityReadLogs),
			`Permission denied: missing capability "read-logs" in namespace "default"`},
		{"granted namespace, missing capability", a.CheckNamespace("dev", CapabilityAllocExec),
			`Permission denied: missing capability "alloc-exec" in namespace "dev"`},
		{"operator write", a.CheckOperator(PolicyWrite), "Permission denied: needs operator write"},
		{"node read", a.CheckNode(PolicyRead), "Permission denied: needs node read"},
		{"agent write", a.CheckAgent(PolicyWrite), "Permission denied: needs agent write"},
		{"management with a reason", a.CheckManagement("bootstrap the ACL system"),
			"Permission denied: needs a management token to bootstrap the ACL system"},
		{"management without a reason", a.CheckManagement(""), "Permission denied: needs a management token"},
		{"empty error", &PermissionDeniedError{}, "Permission denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("check allowed")
			}
			if tc.err.Error() != tc.want {
				t.Fatalf("text = %q\nwant   %q", tc.err, tc.want)
			}
			var pd *PermissionDeniedError
			if !errors.As(tc.err, &pd) {
				t.Fatalf("%T is not a *PermissionDeniedError", tc.err)
			}
			if !errors.Is(tc.err, ErrPermissionDenied) || !IsPermissionDenied(tc.err) {
				t.Fatal("not recognised as a denial")
			}
		})
	}
	// The fields say what was missing, for callers that build their own
	// answers (audit log, HTTP body).
	var pd *PermissionDeniedError
	if !errors.As(a.CheckNamespace("prod", CapabilitySubmitJob), &pd) || pd.Capability != CapabilitySubmitJob || pd.Namespace != "prod" {
		t.Errorf("namespace denial fields: %+v", pd)
	}
	if !errors.As(a.CheckOperator(PolicyWrite), &pd) || pd.Rule != "operator" || pd.Access != PolicyWrite {
		t.Errorf("operator denial fields: %+v", pd)
	}
	if !errors.As(a.CheckManagement("x"), &pd) || pd.Rule != RuleManagement || pd.What != "x" {
		t.Errorf("management denial fields: %+v", pd)
	}
}

// textError is an error that wraps another without keeping its text, as a
// transport might.
type textError struct {
	text  string
	cause error
}

func (e textError) Error() string { return e.text }
func (e textError) Unwrap() error { return e.cause }

func TestIsPermissionDenied(t *testing.T) {
	denial := &PermissionDeniedError{Capability: CapabilityReadJob, Namespace: "a"}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"typed", denial, true},
		{"sentinel", ErrPermissionDenied, true},
		{"wrapped with %w", fmt.Errorf("job register: %w", denial), true},
		{"text after an RPC hop", errors.New(denial.Error()), true},
		{"bare text", errors.New("Permission denied"), true},
		{"text after an RPC hop, then wrapped", fmt.Errorf("forward to leader: %w", errors.New(denial.Error())), true},
		{"inside errors.Join", errors.Join(errors.New("other"), errors.New("Permission denied: needs node write")), true},
		{"wrapped under other text", textError{"stream closed", errors.New("Permission denied: x")}, true},
		{"text in the middle, not wrapped", errors.New(`job register: Permission denied: missing capability "submit-job"`), false},
		{"operating system's permission denied", &fs.PathError{Op: "open", Path: "/x", Err: os.ErrPermission}, false},
		{"lower-case text", errors.New("permission denied"), false},
		{"unrelated", errors.New("job not found"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsPermissionDenied(tc.err); got != tc.want {
				t.Fatalf("IsPermissionDenied(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
