package agent

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"testing"
)

// loginDoors holds what TestHTTPDoors' samples of the user, auth method
// and binding rule routes need: a user "dora", an auth method "idp" and one
// of its binding rules.
type loginDoors struct {
	pubPEM string
	ruleID string
}

func loginDoorFixtures(t *testing.T, c doorClient, mgmt string) *loginDoors {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	l := &loginDoors{pubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	c.must("PUT", "/v1/acl/user", mgmt, l.newUser("dora"))
	c.must("PUT", "/v1/acl/auth-method", mgmt, l.method("idp"))
	var rule struct {
		ID string `json:"id"`
	}
	decodeJSON(t, c.must("PUT", "/v1/acl/binding-rule", mgmt, l.rule("")), &rule)
	l.ruleID = rule.ID
	return l
}

func (l *loginDoors) newUser(name string) string {
	return fmt.Sprintf(`{"name":%q,"policies":["other-write"],"password":"a long enough password"}`, name)
}

func (l *loginDoors) method(name string) string {
	key, _ := json.Marshal(l.pubPEM)
	return fmt.Sprintf(`{"name":%q,"type":"jwt","config":{"jwt_validation_pub_keys":[%s]}}`, name, key)
}

func (l *loginDoors) rule(id string) string {
	return fmt.Sprintf(`{"id":%q,"auth_method":"idp","bind_type":"policy","bind_name":"other-write"}`, id)
}
