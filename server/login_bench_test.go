package server

import "testing"

// BenchmarkCheckPassword measures one argon2id verification, the CPU and
// memory cost of every login attempt (and of a refused unknown user).
func BenchmarkCheckPassword(b *testing.B) {
	hash, err := hashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ok, err := checkPassword(hash, testPassword); !ok || err != nil {
			b.Fatalf("check: %v %v", ok, err)
		}
	}
}
