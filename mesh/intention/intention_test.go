package intention

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func in(id, sns, sname, dns, dname, action string) *structs.Intention {
	return &structs.Intention{ID: id, SourceNamespace: sns, SourceName: sname,
		DestinationNamespace: dns, DestinationName: dname, Action: action}
}

func TestDecide(t *testing.T) {
	web := Service{"default", "web"}
	api := Service{"default", "api"}
	all := []*structs.Intention{
		in("any-any", "*", "*", "*", "*", structs.IntentionDeny),
		in("web-api", "default", "web", "default", "api", structs.IntentionAllow),
		in("ns-api", "default", "*", "default", "api", structs.IntentionDeny),
	}
	cases := []struct {
		name       string
		ints       []*structs.Intention
		src, dst   Service
		defAllow   bool
		wantAllow  bool
		wantWinner string
	}{
		{"no intentions uses default allow", nil, web, api, true, true, ""},
		{"no intentions uses default deny", nil, web, api, false, false, ""},
		{"exact beats wildcards", all, web, api, false, true, "web-api"},
		{"namespace wildcard source beats any-any", all, Service{"default", "db"}, api, true, false, "ns-api"},
		{"any-any catches the rest", all, web, Service{"default", "db"}, true, false, "any-any"},
		{"deny wins a tie", []*structs.Intention{
			in("a", "default", "web", "default", "api", structs.IntentionAllow),
			in("d", "default", "web", "default", "api", structs.IntentionDeny),
		}, web, api, true, false, "d"},
		{"destination precision counts before source", []*structs.Intention{
			in("exact-src", "default", "web", "default", "*", structs.IntentionDeny),
			in("exact-dst", "*", "*", "default", "api", structs.IntentionAllow),
		}, web, api, false, true, "exact-dst"},
		{"other namespace does not match", []*structs.Intention{
			in("prod", "prod", "web", "prod", "api", structs.IntentionAllow),
		}, web, api, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.ints, c.src, c.dst, c.defAllow)
			if d.Allow != c.wantAllow {
				t.Fatalf("allow = %v, want %v (%s)", d.Allow, c.wantAllow, d)
			}
			got := ""
			if d.Matched != nil {
				got = d.Matched.ID
			}
			if got != c.wantWinner {
				t.Fatalf("decided by %q, want %q", got, c.wantWinner)
			}
		})
	}
}

func TestPrecedenceOrder(t *testing.T) {
	exact := Precedence(in("", "default", "web", "default", "api", "allow"))
	srcNS := Precedence(in("", "default", "*", "default", "api", "allow"))
	dstNS := Precedence(in("", "default", "web", "default", "*", "allow"))
	anyAny := Precedence(in("", "*", "*", "*", "*", "allow"))
	if !(exact == 9 && srcNS == 8 && dstNS == 6 && anyAny == 1) {
		t.Fatalf("precedences = %d %d %d %d, want 9 8 6 1", exact, srcNS, dstNS, anyAny)
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(in("", "default", "web", "default", "api", "allow")); err != nil {
		t.Fatalf("valid intention refused: %v", err)
	}
	for _, bad := range []*structs.Intention{
		in("", "*", "web", "default", "api", "allow"),
		in("", "default", "web", "default", "api", "permit"),
		in("", "", "web", "default", "api", "allow"),
	} {
		if err := Validate(bad); err == nil {
			t.Fatalf("invalid intention %+v accepted", bad)
		}
	}
}
