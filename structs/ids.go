package structs

import (
	"crypto/rand"
	"fmt"
)

// GenerateID returns a random UUID (version 4) string. It must never be
// called from inside the FSM: IDs are generated before a Raft entry is
// written so that every server applies the same value.
func GenerateID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("read random bytes: %w", err))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ShortID returns the first 8 characters of an ID, for display.
func ShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
