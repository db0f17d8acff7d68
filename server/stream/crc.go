package stream

import "hash/crc32"

// CRC-32 (IEEE) arithmetic for appending a shared chunk's CRC to a
// subscriber's running CRC without reading the chunk again.
//
// A gzip trailer needs the CRC of everything a subscriber was sent, and
// subscribers start at different indexes, so each one used to run
// crc32.Update over every plain line: with a hundred subscribers that was
// the largest per-subscriber cost of the stream (more than the write
// system calls), because the plain lines are eight times the bytes sent.
// The CRC is linear: for a chunk p of n bytes,
//
//	Update(c, p) = c·x^(8n) mod P  xor  Update(0, p)
//
// so a chunk carries Update(0, p) and x^(8n) mod P, both computed once
// for every subscriber, and a subscriber's update is one multiplication
// modulo P (32 shift-and-xor steps) instead of a pass over n bytes.

// crcOne is the polynomial 1 in the bit-reflected form crc32.IEEE uses
// (the highest bit holds the coefficient of x^0).
const crcOne = 1 << 31

// crcMulMod multiplies two polynomials modulo the CRC-32 polynomial, both
// bit-reflected.
func crcMulMod(a, b uint32) uint32 {
	var p uint32
	for i := 0; i < 32 && a != 0; i++ {
		if a&crcOne != 0 { // a has x^i: add b·x^i
			p ^= b
		}
		a <<= 1
		// b·x: a shift towards the high powers, reduced modulo P.
		if b&1 != 0 {
			b = b>>1 ^ crc32.IEEE
		} else {
			b >>= 1
		}
	}
	return p
}

// crcShift is x^(8n) mod P: what multiplies a CRC when n bytes follow.
func crcShift(n int) uint32 {
	result, pow := uint32(crcOne), uint32(crcOne>>8) // 1 and x^8
	for k := uint64(n); k != 0; k >>= 1 {
		if k&1 != 0 {
			result = crcMulMod(result, pow)
		}
		pow = crcMulMod(pow, pow)
	}
	return result
}

// crcAppend is crc32.Update(crc, IEEE, p) for a chunk p with
// chunkCRC = crc32.ChecksumIEEE(p) and shift = crcShift(len(p)).
func crcAppend(crc, chunkCRC, shift uint32) uint32 {
	return crcMulMod(crc, shift) ^ chunkCRC
}
