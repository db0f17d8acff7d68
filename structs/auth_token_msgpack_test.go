package structs

// RPC arguments cross servers (forwarding to the leader) as msgpack: the
// token must travel with them, while JSON request bodies never carry it.
import "testing"

func TestAuthTokenTravels(t *testing.T) {
	in := &JobSpecificRequest{JobID: "x"}
	in.AuthToken = "tok"
	b, err := EncodeMsgpack(in)
	if err != nil {
		t.Fatal(err)
	}
	var out JobSpecificRequest
	if err := DecodeMsgpack(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.AuthToken != "tok" {
		t.Fatalf("token lost in msgpack: %+v", out)
	}
}
