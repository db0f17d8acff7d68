package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters of new hashes (OWASP's minimum for argon2id: 19 MiB,
// two passes, one lane). They are stored with each hash, so raising them
// later leaves old hashes verifiable.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Bounds on stored parameters, so that a damaged or hostile hash cannot make
// a login allocate gigabytes or spin for minutes.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 16
)

// Password length limits: long enough for passphrases, short enough that
// hashing stays cheap to ask for.
const (
	minPasswordLen = 8
	maxPasswordLen = 1024
)

// validatePassword refuses passwords that are too short or too long. The
// message never contains the password.
func validatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < minPasswordLen {
		return fmt.Errorf("invalid: the password is too short: use at least %d characters", minPasswordLen)
	}
	if len(pw) > maxPasswordLen {
		return fmt.Errorf("invalid: the password is too long: use at most %d bytes", maxPasswordLen)
	}
	return nil
}

// hashPassword returns the argon2id hash of pw in PHC string form, with a
// fresh random salt.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword reports whether pw matches a hash made by hashPassword,
// comparing in constant time.
func checkPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("stored password hash is not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("stored password hash has argon2 version %q; this server knows %d", parts[2], argon2.Version)
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false, fmt.Errorf("stored password hash has unreadable parameters: %w", err)
	}
	if mem == 0 || mem > maxArgonMemoryKiB || iter == 0 || iter > maxArgonTime || threads == 0 {
		return false, fmt.Errorf("stored password hash has parameters out of bounds (m=%d t=%d p=%d)", mem, iter, threads)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("stored password hash has an unreadable salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, fmt.Errorf("stored password hash has an unreadable key")
	}
	got := argon2.IDKey([]byte(pw), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when a login names an unknown user, so that
// the answer takes as long as for a known one and tells nothing.
var dummyHash = func() string {
	h, err := hashPassword("appmesh-no-such-user")
	if err != nil {
		panic(err)
	}
	return h
}()
