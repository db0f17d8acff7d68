package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// loginCommands are the CLI's user, login and auth method commands.
func loginCommands(meta func() Meta) map[string]cli.CommandFactory {
	ns := func(name, synopsis string) cli.CommandFactory {
		return func() (cli.Command, error) {
			return &groupCommand{namespace{Meta: meta(), name: name, synopsis: synopsis}}, nil
		}
	}
	cmd := func(c func(Meta) cli.Command) cli.CommandFactory {
		return func() (cli.Command, error) { return c(meta()), nil }
	}
	return map[string]cli.CommandFactory{
		"login":             cmd(func(m Meta) cli.Command { return &LoginCommand{Meta: m} }),
		"user":              ns("user", "Manage users who log in with a password and a second factor"),
		"user create":       cmd(func(m Meta) cli.Command { return &UserCreateCommand{Meta: m} }),
		"user list":         cmd(func(m Meta) cli.Command { return &UserListCommand{Meta: m} }),
		"user info":         cmd(func(m Meta) cli.Command { return &UserInfoCommand{Meta: m} }),
		"user passwd":       cmd(func(m Meta) cli.Command { return &UserPasswdCommand{Meta: m} }),
		"user lock":         cmd(func(m Meta) cli.Command { return &UserLockCommand{Meta: m, lock: true} }),
		"user unlock":       cmd(func(m Meta) cli.Command { return &UserLockCommand{Meta: m} }),
		"user delete":       cmd(func(m Meta) cli.Command { return &UserDeleteCommand{Meta: m} }),
		"user totp":         ns("user totp", "Enrol, confirm or turn off a user's TOTP second factor"),
		"user totp enroll":  cmd(func(m Meta) cli.Command { return &UserTOTPEnrollCommand{Meta: m} }),
		"user totp confirm": cmd(func(m Meta) cli.Command { return &UserTOTPConfirmCommand{Meta: m} }),
		"user totp disable": cmd(func(m Meta) cli.Command { return &UserTOTPDisableCommand{Meta: m} }),

		"acl signing-key":         ns("acl signing-key", "List or rotate the keys that sign login JWTs"),
		"acl signing-key list":    cmd(func(m Meta) cli.Command { return &SigningKeyListCommand{Meta: m} }),
		"acl signing-key rotate":  cmd(func(m Meta) cli.Command { return &SigningKeyRotateCommand{Meta: m} }),
		"acl auth-method":         ns("acl auth-method", "Trust an outside identity provider's JWTs"),
		"acl auth-method create":  cmd(func(m Meta) cli.Command { return &AuthMethodCreateCommand{Meta: m} }),
		"acl auth-method list":    cmd(func(m Meta) cli.Command { return &AuthMethodListCommand{Meta: m} }),
		"acl auth-method info":    cmd(func(m Meta) cli.Command { return &AuthMethodInfoCommand{Meta: m} }),
		"acl auth-method delete":  cmd(func(m Meta) cli.Command { return &AuthMethodDeleteCommand{Meta: m} }),
		"acl binding-rule":        ns("acl binding-rule", "Map an auth method's claims to roles and policies"),
		"acl binding-rule create": cmd(func(m Meta) cli.Command { return &BindingRuleCreateCommand{Meta: m} }),
		"acl binding-rule list":   cmd(func(m Meta) cli.Command { return &BindingRuleListCommand{Meta: m} }),
		"acl binding-rule info":   cmd(func(m Meta) cli.Command { return &BindingRuleInfoCommand{Meta: m} }),
		"acl binding-rule delete": cmd(func(m Meta) cli.Command { return &BindingRuleDeleteCommand{Meta: m} }),
	}
}

// groupCommand is a namespace as a cli.Command.
type groupCommand struct{ namespace }

func userKV(u *structs.ACLUser) string {
	lock := "no"
	switch {
	case u.Locked:
		lock = "locked by an operator"
	case u.LockedUntil != nil && u.LockoutDuration > 0:
		lock = "after failed logins, until " + timeOrDash(u.LockedUntil)
	}
	totp := "off"
	if u.TOTPEnabled {
		totp = "on"
	}
	create := u.CreateTime
	return formatKV(
		"Name", u.Name,
		"Description", orDash(u.Description),
		"Type", u.Type,
		"Roles", listOrDash(u.Roles),
		"Policies", listOrDash(u.Policies),
		"TOTP", totp,
		"Locked", lock,
		"Failed Logins", fmt.Sprint(u.FailedLogins),
		"Create Time", timeOrDash(&create),
		"Create Index", fmt.Sprint(u.CreateIndex),
		"Modify Index", fmt.Sprint(u.ModifyIndex))
}

// UserCreateCommand creates a user.
type UserCreateCommand struct{ Meta }

func (c *UserCreateCommand) Synopsis() string { return "Create a user" }

func (c *UserCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user create [options]

  Creates a user who logs in with "appmesh login". The password is hashed
  with argon2id by the servers and never stored or shown. Needs a
  management token.

Create Options:

  -name=<name>            The user's name; required.
  -description=<text>     A description.
  -type=<client|management>
                          A management user may do everything; a client
                          user what its policies and roles grant (default).
  -policy=<name>          A policy of the user; repeatable.
  -role-name=<name>       A role of the user; repeatable.
  -password-stdin         Read the password from standard input (else it
                          is asked for on the terminal). At least 8
                          characters.

` + generalOptions + jsonOption)
}

func (c *UserCreateCommand) Run(args []string) int {
	fs := c.flagSet("user create", true)
	var spec api.UserSpec
	var policies, roles multiFlag
	fs.StringVar(&spec.Name, "name", "", "")
	fs.StringVar(&spec.Description, "description", "", "")
	fs.StringVar(&spec.Type, "type", structs.ACLTokenTypeClient, "")
	fs.Var(&policies, "policy", "")
	fs.Var(&roles, "role-name", "")
	pwStdin := fs.Bool("password-stdin", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	if spec.Name == "" {
		return c.usageError(c.Help(), "-name is required.")
	}
	if spec.Type == structs.ACLTokenTypeClient && len(policies) == 0 && len(roles) == 0 {
		return c.usageError(c.Help(), "A client user needs at least one -policy or -role-name.")
	}
	spec.Policies, spec.Roles = policies, roles
	pw, err := c.readPassword(*pwStdin, "Password for "+spec.Name+": ")
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	spec.Password = pw
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	u, err := client.ACLUsers().Create(&spec)
	if err != nil {
		return c.errorf("Error creating user %q: %v", spec.Name, err)
	}
	if c.json {
		return c.outputJSON(u)
	}
	c.Ui.Output(userKV(u))
	return exitOK
}

// UserListCommand lists users.
type UserListCommand struct{ Meta }

func (c *UserListCommand) Synopsis() string { return "List users" }

func (c *UserListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user list [options]

  Lists users (management token).

` + generalOptions + jsonOption)
}

func (c *UserListCommand) Run(args []string) int {
	fs := c.flagSet("user list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	users, _, err := client.ACLUsers().List(nil)
	if err != nil {
		return c.errorf("Error listing users: %v", err)
	}
	if c.json {
		return c.outputJSON(users)
	}
	rows := [][]string{{"Name", "Type", "Roles", "Policies", "TOTP", "Locked"}}
	for _, u := range users {
		totp, locked := "off", "no"
		if u.TOTPEnabled {
			totp = "on"
		}
		if u.Locked || u.LockedUntil != nil && u.LockoutDuration > 0 {
			locked = "yes"
		}
		rows = append(rows, []string{u.Name, u.Type, listOrDash(u.Roles), listOrDash(u.Policies), totp, locked})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// UserInfoCommand shows one user.
type UserInfoCommand struct{ Meta }

func (c *UserInfoCommand) Synopsis() string { return "Show a user" }

func (c *UserInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user info [options] <name>

  Shows a user (management token, or the user's own login token).

` + generalOptions + jsonOption)
}

func (c *UserInfoCommand) Run(args []string) int {
	fs := c.flagSet("user info", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	u, _, err := client.ACLUsers().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading user %q: %v", fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(u)
	}
	c.Ui.Output(userKV(u))
	return exitOK
}

// UserPasswdCommand sets a password.
type UserPasswdCommand struct{ Meta }

func (c *UserPasswdCommand) Synopsis() string { return "Set a user's password" }

func (c *UserPasswdCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user passwd [options] <name>

  Sets a user's password and revokes the user's login tokens and refresh
  tokens. A management token sets anyone's password; a user logged in with
  their own token gives the current password too.

Passwd Options:

  -password-stdin
    Read the new password from the first line of standard input and, with
    -current, the current password from the second.

  -current
    Ask for (or read) the current password too.

` + generalOptions)
}

func (c *UserPasswdCommand) Run(args []string) int {
	fs := c.flagSet("user passwd", false)
	pwStdin := fs.Bool("password-stdin", false, "")
	withCurrent := fs.Bool("current", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	name := fs.Arg(0)
	var lines []string
	var err error
	if *pwStdin {
		want := 1
		if *withCurrent {
			want = 2
		}
		lines, err = c.readLines(want)
	} else {
		lines, err = c.askPasswords(name, *withCurrent)
	}
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	current := ""
	if len(lines) > 1 {
		current = lines[1]
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.ACLUsers().SetPassword(name, lines[0], current); err != nil {
		return c.errorf("Error setting the password of %q: %v", name, err)
	}
	c.Ui.Output(fmt.Sprintf("Password of %q changed; the user's tokens are revoked.", name))
	return exitOK
}

// readLines reads n non-empty lines of standard input.
func (m *Meta) readLines(n int) ([]string, error) {
	data, err := m.readInput("-", 8<<10)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if len(lines) < n || lines[0] == "" || n > 1 && lines[1] == "" {
		return nil, fmt.Errorf("standard input needs %d non-empty line(s)", n)
	}
	return lines[:n], nil
}

func (m *Meta) askPasswords(name string, withCurrent bool) ([]string, error) {
	pw, err := m.readPassword(false, "New password for "+name+": ")
	if err != nil {
		return nil, err
	}
	again, err := m.readPassword(false, "Again: ")
	if err != nil {
		return nil, err
	}
	if again != pw {
		return nil, fmt.Errorf("the two passwords differ")
	}
	out := []string{pw}
	if withCurrent {
		cur, err := m.readPassword(false, "Current password: ")
		if err != nil {
			return nil, err
		}
		out = append(out, cur)
	}
	return out, nil
}

// UserLockCommand locks or unlocks a user.
type UserLockCommand struct {
	Meta
	lock bool
}

func (c *UserLockCommand) Synopsis() string {
	if c.lock {
		return "Lock a user out and revoke their tokens"
	}
	return "Unlock a user (also after failed logins)"
}

func (c *UserLockCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user lock|unlock [options] <name>

  lock refuses the user's logins and revokes their login and refresh
  tokens at once; unlock lets the user log in again, and also ends a
  lockout after failed logins. Needs a management token.

` + generalOptions)
}

func (c *UserLockCommand) Run(args []string) int {
	verb := map[bool]string{true: "lock", false: "unlock"}[c.lock]
	fs := c.flagSet("user "+verb, false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if c.lock {
		_, err = client.ACLUsers().Lock(fs.Arg(0))
	} else {
		_, err = client.ACLUsers().Unlock(fs.Arg(0))
	}
	if err != nil {
		return c.errorf("Error: %s user %q: %v", verb, fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("User %q %sed", fs.Arg(0), verb))
	return exitOK
}

// UserDeleteCommand deletes a user.
type UserDeleteCommand struct{ Meta }

func (c *UserDeleteCommand) Synopsis() string { return "Delete a user" }

func (c *UserDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user delete [options] <name>

  Deletes a user; their login tokens stop working. Needs a management
  token.

` + generalOptions)
}

func (c *UserDeleteCommand) Run(args []string) int {
	fs := c.flagSet("user delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if err := client.ACLUsers().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting user %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Deleted user %q", fs.Arg(0)))
	return exitOK
}
