package stream

import (
	"hash/crc32"
	"math/rand"
	"testing"
)

// TestCRCAppend: appending a chunk's shared CRC gives what crc32.Update
// over the chunk's bytes gives, for empty, short and long chunks after
// any running CRC.
func TestCRCAppend(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, 3, 7, 8, 100, 559, 4096, 70001} {
		p := make([]byte, n)
		r.Read(p)
		chunkCRC, shift := crc32.ChecksumIEEE(p), crcShift(n)
		for _, crc := range []uint32{0, 1, 0xffffffff, r.Uint32(), r.Uint32()} {
			want := crc32.Update(crc, crc32.IEEETable, p)
			if got := crcAppend(crc, chunkCRC, shift); got != want {
				t.Fatalf("%d bytes after crc %#x: appended %#x, want %#x", n, crc, got, want)
			}
		}
	}
}

// BenchmarkCRCAppend is one subscriber's CRC update per batch.
func BenchmarkCRCAppend(b *testing.B) {
	p := make([]byte, 559*40)
	chunkCRC, shift := crc32.ChecksumIEEE(p), crcShift(len(p))
	var crc uint32
	for i := 0; i < b.N; i++ {
		crc = crcAppend(crc, chunkCRC, shift)
	}
	_ = crc
}

// BenchmarkCRCUpdate is the same update over the plain bytes.
func BenchmarkCRCUpdate(b *testing.B) {
	p := make([]byte, 559*40)
	var crc uint32
	for i := 0; i < b.N; i++ {
		crc = crc32.Update(crc, crc32.IEEETable, p)
	}
	_ = crc
}
