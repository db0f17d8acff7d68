package command

import (
	"fmt"
	"os"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// UserTOTPEnrollCommand starts a TOTP enrolment.
type UserTOTPEnrollCommand struct{ Meta }

func (c *UserTOTPEnrollCommand) Synopsis() string { return "Start a TOTP enrolment" }

func (c *UserTOTPEnrollCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user totp enroll [options] <name>

  Makes a new TOTP secret for the user and shows it once: as an otpauth://
  URI, and as a QR code for an authenticator app (a PNG file with -qr-png,
  or drawn in the terminal with -qr-terminal). Logins need a code only
  after "appmesh user totp confirm" proves the app has it. A management
  token, or the user's own login token.

Enroll Options:

  -qr-png=<file>     Write the QR code as a PNG image (mode 0600).
  -qr-terminal       Draw the QR code with text blocks.

` + generalOptions + jsonOption)
}

func (c *UserTOTPEnrollCommand) Run(args []string) int {
	fs := c.flagSet("user totp enroll", true)
	pngPath := fs.String("qr-png", "", "")
	inTerm := fs.Bool("qr-terminal", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, err := client.ACLUsers().TOTPEnroll(fs.Arg(0))
	if err != nil {
		return c.errorf("Error enrolling TOTP for %q: %v", fs.Arg(0), err)
	}
	if *pngPath != "" {
		// 0600: the image holds the secret.
		if err := os.WriteFile(*pngPath, out.QRPNG, 0o600); err != nil {
			return c.errorf("Error writing the QR code: %v", err)
		}
	}
	if c.json {
		return c.outputJSON(out)
	}
	c.Ui.Output(formatKV("URI", out.URI, "Secret", out.Secret))
	if *pngPath != "" {
		c.Ui.Output("QR code written to " + *pngPath)
	}
	if *inTerm {
		art, err := terminalQR(out.URI)
		if err != nil {
			return c.errorf("Error drawing the QR code: %v", err)
		}
		c.Ui.Output(art)
	}
	c.Ui.Output(fmt.Sprintf("Add it to an authenticator app, then run: appmesh user totp confirm %s <code>", fs.Arg(0)))
	return exitOK
}

// terminalQR draws a QR code with half blocks, two module rows per line,
// light modules as ink (a terminal draws ink light on dark), with the
// four-module quiet zone scanners need.
func terminalQR(content string) (string, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	const quiet = 4
	size := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= size || y >= size {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r == 0
	}
	var b strings.Builder
	for y := 0; y < size+2*quiet; y += 2 {
		for x := 0; x < size+2*quiet; x++ {
			top, bottom := !dark(x, y), !dark(x, y+1) && y+1 < size+2*quiet
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

// UserTOTPConfirmCommand finishes an enrolment.
type UserTOTPConfirmCommand struct{ Meta }

func (c *UserTOTPConfirmCommand) Synopsis() string { return "Confirm a TOTP enrolment with a code" }

func (c *UserTOTPConfirmCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user totp confirm [options] <name> <code>

  Confirms a TOTP enrolment with the current code of the authenticator
  app; from then on every login of the user needs a code, and each code
  works once.

` + generalOptions)
}

func (c *UserTOTPConfirmCommand) Run(args []string) int {
	fs := c.flagSet("user totp confirm", false)
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.ACLUsers().TOTPConfirm(fs.Arg(0), fs.Arg(1)); err != nil {
		return c.errorf("Error confirming TOTP for %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("TOTP is on for %q: logins now need a code", fs.Arg(0)))
	return exitOK
}

// UserTOTPDisableCommand turns TOTP off.
type UserTOTPDisableCommand struct{ Meta }

func (c *UserTOTPDisableCommand) Synopsis() string { return "Turn a user's TOTP off" }

func (c *UserTOTPDisableCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh user totp disable [options] <name>

  Turns TOTP off for a user (a lost phone), so they can enrol again.
  Needs a management token.

` + generalOptions)
}

func (c *UserTOTPDisableCommand) Run(args []string) int {
	fs := c.flagSet("user totp disable", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.ACLUsers().TOTPDisable(fs.Arg(0)); err != nil {
		return c.errorf("Error turning TOTP off for %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("TOTP is off for %q", fs.Arg(0)))
	return exitOK
}

// SigningKeyListCommand lists the login signing keys.
type SigningKeyListCommand struct{ Meta }

func (c *SigningKeyListCommand) Synopsis() string { return "List the keys that sign login JWTs" }

func (c *SigningKeyListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl signing-key list [options]

  Lists the keys that sign and verify login JWTs (public parts only).
  Their public keys are also at GET /v1/acl/jwks. Management token.

` + generalOptions + jsonOption)
}

func (c *SigningKeyListCommand) Run(args []string) int {
	fs := c.flagSet("acl signing-key list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	keys, _, err := client.ACL().SigningKeys(nil)
	if err != nil {
		return c.errorf("Error listing signing keys: %v", err)
	}
	if c.json {
		return c.outputJSON(keys)
	}
	rows := [][]string{{"Key ID", "Algorithm", "Active", "Created", "Verifies Until"}}
	for _, k := range keys {
		created := k.CreateTime
		rows = append(rows, []string{k.KeyID, k.Algorithm, fmt.Sprint(k.Active), timeOrDash(&created), timeOrDash(k.ExpireTime)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// SigningKeyRotateCommand rotates the login signing key.
type SigningKeyRotateCommand struct{ Meta }

func (c *SigningKeyRotateCommand) Synopsis() string { return "Rotate the key that signs login JWTs" }

func (c *SigningKeyRotateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl signing-key rotate [options]

  Makes a new key sign login JWTs. The old key keeps verifying the tokens
  it signed until they expire, then it is dropped. Management token.

` + generalOptions)
}

func (c *SigningKeyRotateCommand) Run(args []string) int {
	fs := c.flagSet("acl signing-key rotate", false)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	k, err := client.ACL().RotateSigningKey()
	if err != nil {
		return c.errorf("Error rotating the signing key: %v", err)
	}
	c.Ui.Output("New signing key " + k.KeyID)
	return exitOK
}
