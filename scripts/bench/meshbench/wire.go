package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The wire protocol is deliberately trivial so that the server costs next to
// nothing and the proxies are what is measured. A connection opens with a
// 16-byte hello, then:
//
//   - modeRR: the client sends ReqSize bytes, the server answers RespSize
//     bytes, and again, until the client closes (request/response).
//   - modeBulk: the server streams RespSize-byte chunks until the client
//     closes (one-way throughput).
const (
	modeRR   byte = 'r'
	modeBulk byte = 'b'

	helloLen = 16
	maxSize  = 16 << 20
)

var helloMagic = [4]byte{'M', 'B', '0', '1'}

type hello struct {
	Mode     byte
	ReqSize  uint32
	RespSize uint32
}

func (h hello) marshal() []byte {
	b := make([]byte, helloLen)
	copy(b, helloMagic[:])
	b[4] = h.Mode
	binary.BigEndian.PutUint32(b[8:], h.ReqSize)
	binary.BigEndian.PutUint32(b[12:], h.RespSize)
	return b
}

func readHello(r io.Reader) (hello, error) {
	b := make([]byte, helloLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return hello{}, fmt.Errorf("read hello: %w", err)
	}
	if [4]byte(b[:4]) != helloMagic {
		return hello{}, errors.New("not a meshbench hello")
	}
	h := hello{Mode: b[4], ReqSize: binary.BigEndian.Uint32(b[8:]), RespSize: binary.BigEndian.Uint32(b[12:])}
	return h, h.validate()
}

func (h hello) validate() error {
	switch {
	case h.Mode != modeRR && h.Mode != modeBulk:
		return fmt.Errorf("unknown mode %q", h.Mode)
	case h.RespSize < 1 || h.RespSize > maxSize:
		return fmt.Errorf("response size %d out of 1..%d", h.RespSize, maxSize)
	case h.Mode == modeRR && (h.ReqSize < 1 || h.ReqSize > maxSize):
		return fmt.Errorf("request size %d out of 1..%d", h.ReqSize, maxSize)
	}
	return nil
}
