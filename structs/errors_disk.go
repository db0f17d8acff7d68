package structs

import (
	"errors"
	"strings"
)

// ErrDiskFull is a write refused because a server's data directory has no
// space left. The HTTP API answers it with 507 Insufficient Storage.
var ErrDiskFull = errors.New("data directory full")

// IsDiskFull reports ErrDiskFull, also after the error crossed an RPC
// boundary as text.
func IsDiskFull(err error) bool {
	return err != nil && (errors.Is(err, ErrDiskFull) || strings.Contains(err.Error(), ErrDiskFull.Error()))
}
