package server

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// TOTPEnroll starts a TOTP enrolment: a new secret waits for its first
// code (TOTPConfirm) before logins need one. The answer is the only place
// the secret appears.
func (a *ACL) TOTPEnroll(args *structs.ACLTOTPRequest, reply *structs.ACLTOTPEnrollResponse) error {
	if done, err := a.srv.forward(structs.ACLTOTPEnrollRPC, false, args, reply); done {
		return err
	}
	return a.changeUser(args.Name, func(u *structs.ACLUser) error {
		return a.enrollTOTP(u, reply)
	})
}

func (a *ACL) enrollTOTP(u *structs.ACLUser, reply *structs.ACLTOTPEnrollResponse) error {
	if u.TOTPEnabled {
		return fmt.Errorf("%w: user %q already has TOTP; a management token can turn it off first (user totp disable)",
			structs.ErrConflict, u.Name)
	}
	secret, uri, qr, err := newTOTPKey(u.Name)
	if err != nil {
		return err
	}
	u.TOTPPending = secret
	var meta structs.QueryMeta
	if err := a.srv.applyUser(u, &meta); err != nil {
		return err
	}
	a.srv.logger.Info("TOTP enrolment started", "user", u.Name)
	reply.URI, reply.Secret, reply.QRPNG, reply.Index = uri, secret, qr, meta.Index
	return nil
}

// TOTPConfirm finishes an enrolment with a code from the app; from then
// on every login needs a code.
func (a *ACL) TOTPConfirm(args *structs.ACLTOTPRequest, reply *structs.ACLUserResponse) error {
	if done, err := a.srv.forward(structs.ACLTOTPConfirmRPC, false, args, reply); done {
		return err
	}
	return a.changeUser(args.Name, func(u *structs.ACLUser) error {
		return a.confirmTOTP(u, args.Code, reply)
	})
}

func (a *ACL) confirmTOTP(u *structs.ACLUser, code string, reply *structs.ACLUserResponse) error {
	if u.TOTPPending == "" {
		return fmt.Errorf("invalid: user %q has no TOTP enrolment to confirm: run user totp enroll first", u.Name)
	}
	step, err := checkTOTP(u.TOTPPending, code, 0, a.srv.totpTime())
	if err != nil {
		// A wrong code here is bad input, not a refused identity: the
		// caller already passed the door.
		return fmt.Errorf("invalid: %s", strings.TrimPrefix(err.Error(), "Permission denied: "))
	}
	u.TOTPSecret, u.TOTPPending, u.TOTPEnabled, u.TOTPLastStep = u.TOTPPending, "", true, step
	if err := a.srv.applyUser(u, &reply.QueryMeta); err != nil {
		return err
	}
	a.srv.logger.Info("TOTP enabled", "user", u.Name)
	reply.User = u.Sanitize()
	return nil
}

// TOTPDisable turns TOTP off for a user (a lost phone); management only.
func (a *ACL) TOTPDisable(args *structs.ACLTOTPRequest, reply *structs.ACLUserResponse) error {
	if done, err := a.srv.forward(structs.ACLTOTPDisableRPC, false, args, reply); done {
		return err
	}
	return a.changeUser(args.Name, func(u *structs.ACLUser) error {
		u.TOTPSecret, u.TOTPPending, u.TOTPEnabled, u.TOTPLastStep = "", "", false, 0
		if err := a.srv.applyUser(u, &reply.QueryMeta); err != nil {
			return err
		}
		a.srv.logger.Info("TOTP disabled", "user", u.Name)
		reply.User = u.Sanitize()
		return nil
	})
}

// changeUser runs change on a copy of the stored user, under the login
// lock that orders every user write, once ACLs are known to be on: the
// shared first steps of the TOTP endpoints.
func (a *ACL) changeUser(name string, change func(u *structs.ACLUser) error) error {
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	u, err := a.userToChange(name)
	if err != nil {
		return err
	}
	return change(u)
}
