package server

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings (RFC 6238 defaults, which every authenticator app reads).
const (
	totpPeriod = 30
	// totpSkew is how many steps before the current one still count, for
	// a phone clock a little behind; older codes are refused.
	totpSkew   = 1
	totpIssuer = "appmesh"
	qrSize     = 256
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// newTOTPKey makes a secret for user and what an app needs to add it.
func newTOTPKey(user string) (secret, uri string, qrPNG []byte, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: totpIssuer, AccountName: user, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return "", "", nil, fmt.Errorf("draw TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", "", nil, fmt.Errorf("encode TOTP QR code: %w", err)
	}
	return key.Secret(), key.URL(), buf.Bytes(), nil
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// checkTOTP finds the step of code among the current step and the skew
// before it. A code of a step at or before lastStep was used (or is older
// than one used) and is refused, so every code works once.
func checkTOTP(secret, code string, lastStep int64, now time.Time) (int64, error) {
	if len(code) != 6 {
		return 0, fmt.Errorf("Permission denied: the TOTP code must have 6 digits")
	}
	cur := totpStep(now)
	for step := cur; step >= cur-totpSkew; step-- {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, fmt.Errorf("compute TOTP code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if step <= lastStep {
			return 0, fmt.Errorf("Permission denied: this TOTP code was already used; wait for the next one")
		}
		return step, nil
	}
	return 0, fmt.Errorf("Permission denied: wrong or expired TOTP code")
}
