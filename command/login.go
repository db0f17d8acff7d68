package command

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"golang.org/x/term"
)

// LoginCommand logs a user in, or exchanges an identity provider's JWT.
type LoginCommand struct{ Meta }

func (c *LoginCommand) Synopsis() string { return "Log in and get a token" }

func (c *LoginCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh login [options]

  Logs a user in with a name, a password and (once enrolled) a TOTP code,
  and prints a short-lived JWT to send as the token (APPMESH_TOKEN, -token,
  X-Appmesh-Token or Authorization: Bearer) and a refresh token that gets
  a new JWT once. Five wrong passwords or codes in a row lock the user for
  a while, longer each time.

  With -method, exchanges a JWT of an outside identity provider for an
  appmesh ACL token through that auth method's binding rules.

Login Options:

  -username=<name>
    The user to log in as.

  -password-stdin
    Read the password from the first line of standard input. Without it,
    the password is asked for on the terminal.

  -totp=<code>
    The 6-digit code of the user's authenticator app.

  -method=<name> -jwt=<token|@file|->
    Log in through an auth method with an identity provider's JWT (given,
    read from a file, or from standard input).

  -refresh-token=<token>
    Exchange a refresh token for a new JWT and refresh token instead.

  -token-only
    Print only the token.

` + generalOptions + jsonOption)
}

func (c *LoginCommand) Run(args []string) int {
	fs := c.flagSet("login", true)
	user := fs.String("username", "", "")
	pwStdin := fs.Bool("password-stdin", false, "")
	code := fs.String("totp", "", "")
	method := fs.String("method", "", "")
	jwtArg := fs.String("jwt", "", "")
	refresh := fs.String("refresh-token", "", "")
	tokenOnly := fs.Bool("token-only", false, "")
	if rc := c.parseFlags(fs, args, c.Help(), 0, 0); rc >= 0 {
		return rc
	}
	modes := 0
	for _, set := range []bool{*user != "", *method != "", *refresh != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return c.usageError(c.Help(), "Give one of -username, -method (with -jwt) or -refresh-token.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	var out *structs.ACLLoginResponse
	switch {
	case *refresh != "":
		out, err = client.ACL().RefreshLogin(*refresh)
	case *method != "":
		if *jwtArg == "" {
			return c.usageError(c.Help(), "-method needs -jwt.")
		}
		tok, rerr := c.readJWTArg(*jwtArg)
		if rerr != nil {
			return c.errorf("Error reading the JWT: %v", rerr)
		}
		out, err = client.ACL().Login(&api.LoginRequest{AuthMethod: *method, JWT: tok})
	default:
		pw, perr := c.readPassword(*pwStdin, "Password: ")
		if perr != nil {
			return c.errorf("Error: %v", perr)
		}
		out, err = client.ACL().Login(&api.LoginRequest{Username: *user, Password: pw, TOTP: *code})
	}
	if err != nil {
		return c.errorf("Error logging in: %v", err)
	}
	switch {
	case c.json:
		return c.outputJSON(out)
	case *tokenOnly:
		c.Ui.Output(out.Token)
		return exitOK
	}
	c.Ui.Output(loginKV(out))
	return exitOK
}

func loginKV(out *structs.ACLLoginResponse) string {
	exp := out.ExpirationTime
	pairs := []string{"Token", out.Token, "Format", out.TokenType, "Expiry Time", timeOrDash(&exp)}
	if out.RefreshToken != "" {
		pairs = append(pairs, "Refresh Token", out.RefreshToken, "Refresh Expiry", timeOrDash(out.RefreshExpirationTime))
	}
	if out.User != "" {
		pairs = append(pairs, "User", out.User)
	}
	if out.AccessorID != "" {
		pairs = append(pairs, "Accessor ID", out.AccessorID)
	}
	if out.Management {
		pairs = append(pairs, "Type", structs.ACLTokenTypeManagement)
	} else {
		pairs = append(pairs, "Roles", listOrDash(out.Roles), "Policies", listOrDash(out.Policies))
	}
	return formatKV(pairs...)
}

// maxJWTSize bounds a JWT read from a file or standard input.
const maxJWTSize = 64 << 10

func (c *LoginCommand) readJWTArg(arg string) (string, error) {
	if arg != "-" && !strings.HasPrefix(arg, "@") {
		return arg, nil
	}
	data, err := c.readInput(strings.TrimPrefix(arg, "@"), maxJWTSize)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("%s is empty", orStdin(strings.TrimPrefix(arg, "@")))
	}
	return tok, nil
}

// readPassword reads a password from the first line of standard input
// (fromStdin), or asks on the terminal without echo. Passwords never come
// from flags: they would show in ps and shell history.
func (m *Meta) readPassword(fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(m.in()).ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if err != nil {
				return "", fmt.Errorf("read the password from standard input: %v", err)
			}
			return "", fmt.Errorf("the password on standard input is empty")
		}
		return line, nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", fmt.Errorf("no terminal to ask the password on: pipe it in with -password-stdin")
	}
	pw, err := m.Ui.AskSecret(prompt)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if pw == "" {
		return "", fmt.Errorf("the password is empty")
	}
	return pw, nil
}
