package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// selfOrManagement lets a management token act on any user, and a user's
// own login JWT on that user (reading itself, changing its password,
// enrolling its TOTP).
func selfOrManagement(userOf func(args any) string) rpcRule {
	return rpcRule{check: func(r *authRequest) error {
		if r.acl.IsManagement() {
			return nil
		}
		name := userOf(r.args)
		if r.token != nil && name != "" && r.token.AccessorID == structs.UserAccessorPrefix+name {
			return nil
		}
		return fmt.Errorf("Permission denied: only a management token or user %q's own login token may do this", name)
	}, least: managementGrant} // or the user's own login (TestLogin_UsersOwnTokenMayChangeOnlyItsOwnPassword)
}
