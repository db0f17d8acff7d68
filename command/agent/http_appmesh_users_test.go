package agent

import (
	"encoding/base64"
	"net/http"
	"slices"
	"testing"
)

// amUserKeys are the keys of App Mesh's user object.
var amUserKeys = []string{"name", "email", "group", "exec_user", "locked", "mfa_enabled", "roles", "metadata"}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestAppMeshUsersRoles manages users, roles and permissions through App
// Mesh's API on a real agent with ACLs on, and checks that a role's
// permissions are what the ACL check then grants.
func TestAppMeshUsersRoles(t *testing.T) {
	a, mgmt := startACLAgent(t)
	base := "http://" + a.HTTPAddr()
	admin := amClient{t: t, base: base, auth: "Bearer " + mgmt}

	var all []string
	decodeJSON(t, admin.want(http.StatusOK, "GET", "/appmesh/permissions", "").body, &all)
	for _, p := range []string{"app-view", "label-set", "file-upload", "user-add", "permission-list"} {
		if !slices.Contains(all, p) {
			t.Errorf("permissions %v lack %s", all, p)
		}
	}

	// Roles: a list of permission names; management-only ones cannot be in one.
	admin.want(http.StatusOK, "POST", "/appmesh/role/viewer", `["app-view","app-view-all","label-view"]`)
	admin.want(http.StatusBadRequest, "POST", "/appmesh/role/bad", `["user-add"]`)
	admin.want(http.StatusBadRequest, "POST", "/appmesh/role/bad", `["no-such-permission"]`)
	var roles map[string][]string
	decodeJSON(t, admin.want(http.StatusOK, "GET", "/appmesh/roles", "").body, &roles)
	if !slices.Equal(roles["viewer"], []string{"app-view", "app-view-all", "label-view"}) {
		t.Errorf("roles: %v", roles)
	}

	// Users: App Mesh's body, key being the password.
	user := `{"key":"a long enough password","roles":["viewer"],"email":"","group":"","exec_user":"","locked":false,"mfa_enabled":false,"metadata":null}`
	wantKeys(t, "PUT user", admin.want(http.StatusOK, "PUT", "/appmesh/user/carol", user).body, amUserKeys...)
	admin.want(http.StatusBadRequest, "PUT", "/appmesh/user/dave", `{"key":"a long enough password","roles":["viewer"],"email":"d@x"}`)
	admin.want(http.StatusBadRequest, "PUT", "/appmesh/user/dave", `{"key":"a long enough password","roles":["viewer"],"exec_user":"root"}`)
	var users map[string]map[string]any
	decodeJSON(t, admin.want(http.StatusOK, "GET", "/appmesh/users", "").body, &users)
	if users["carol"] == nil || users["carol"]["locked"] != false {
		t.Errorf("users: %v", users)
	}

	c := amClient{t: t, base: base, auth: basicAuth("carol", "a long enough password")}
	tok := wantKeys(t, "login", c.want(http.StatusOK, "POST", "/appmesh/login", "").body, amTokenKeys...)["access_token"].(string)
	c.auth = "Bearer " + tok
	self := wantKeys(t, "user/self", c.want(http.StatusOK, "GET", "/appmesh/user/self", "").body, amUserKeys...)
	if self["name"] != "carol" {
		t.Errorf("user/self: %v", self)
	}
	var mine []string
	decodeJSON(t, c.want(http.StatusOK, "GET", "/appmesh/user/permissions", "").body, &mine)
	for _, p := range []string{"app-view", "app-view-all", "label-view", "permission-list"} {
		if !slices.Contains(mine, p) {
			t.Errorf("carol's permissions %v lack %s", mine, p)
		}
	}
	for _, p := range []string{"label-set", "app-reg", "user-add", "file-upload"} {
		if slices.Contains(mine, p) {
			t.Errorf("carol's permissions %v hold %s", mine, p)
		}
	}
	// What the list says is what the ACL check does.
	c.want(http.StatusOK, "POST", "/appmesh/auth", "", "X-Permission", "label-view")
	c.want(http.StatusForbidden, "POST", "/appmesh/auth", "", "X-Permission", "label-set")
	c.want(http.StatusOK, "GET", "/appmesh/labels", "")
	c.want(http.StatusForbidden, "PUT", "/appmesh/label/x?value=1", "")
	c.want(http.StatusForbidden, "GET", "/appmesh/users", "")
	c.want(http.StatusForbidden, "POST", "/appmesh/user/carol/lock", "")

	// Her own password: the old one is needed, and her tokens end.
	c.want(http.StatusForbidden, "POST", "/appmesh/user/self/passwd", `{"old_password":"`+b64("wrong one entirely")+`","new_password":"`+b64("a brand new password")+`"}`)
	c.want(http.StatusOK, "POST", "/appmesh/user/self/passwd", `{"old_password":"`+b64("a long enough password")+`","new_password":"`+b64("a brand new password")+`"}`)
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "")
	c.auth = basicAuth("carol", "a brand new password")
	c.want(http.StatusOK, "POST", "/appmesh/login", "")

	admin.want(http.StatusOK, "POST", "/appmesh/user/carol/lock", "")
	c.want(http.StatusUnauthorized, "POST", "/appmesh/login", "")
	admin.want(http.StatusOK, "POST", "/appmesh/user/carol/unlock", "")
	c.want(http.StatusOK, "POST", "/appmesh/login", "")

	admin.want(http.StatusOK, "DELETE", "/appmesh/role/viewer", "")
	admin.want(http.StatusNotFound, "DELETE", "/appmesh/role/viewer", "")
	roles = nil
	decodeJSON(t, admin.want(http.StatusOK, "GET", "/appmesh/roles", "").body, &roles)
	if _, ok := roles["viewer"]; ok {
		t.Errorf("roles after delete: %v", roles)
	}
	admin.want(http.StatusOK, "DELETE", "/appmesh/user/carol", "")
	admin.want(http.StatusNotFound, "DELETE", "/appmesh/user/carol", "")
}
