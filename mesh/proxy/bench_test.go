package proxy

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkProxyTCP compares one TCP connection to an echo server made
// directly with one through web's and api's proxies (mTLS between them):
// rtt is one 64-byte request and its echo per op (latency), stream pushes
// 32 KiB per op and reads it back (throughput).
func BenchmarkProxyTCP(b *testing.B) {
	ca := newTestCA(b, "root")
	echoAddr := serveTCP(b, echo)
	_, _, meshAddr := benchPair(b, ca, echoAddr)
	for _, target := range []struct{ name, addr string }{{"direct", echoAddr}, {"mesh", meshAddr}} {
		b.Run(target.name+"/rtt-64B", func(b *testing.B) { benchRTT(b, target.addr, 64) })
		b.Run(target.name+"/stream-32KiB", func(b *testing.B) { benchStream(b, target.addr, 32<<10) })
	}
}

func benchPair(b *testing.B, ca *testCA, local string) (*Proxy, *Proxy, string) {
	api := startProxy(b, serverCfg(b, ca, "api", local), nil)
	web := startProxy(b, clientCfg(b, ca, upstreamTo(b, api)), nil)
	return api, web, web.UpstreamAddr("api")
}

func benchConn(b *testing.B, addr string) net.Conn {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func benchRTT(b *testing.B, addr string, size int) {
	c := benchConn(b, addr)
	r := bufio.NewReader(c)
	msg := make([]byte, size)
	buf := make([]byte, size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStream(b *testing.B, addr string, size int) {
	c := benchConn(b, addr)
	msg := make([]byte, size)
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, c, int64(size)*int64(b.N))
		done <- err
	}()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkProxyTCP100 runs 64-byte round trips over 100 connections at
// once, direct and through the two proxies: ns/op is the aggregate cost
// of one round trip (lower is more throughput).
func BenchmarkProxyTCP100(b *testing.B) {
	ca := newTestCA(b, "root")
	echoAddr := serveTCP(b, echo)
	_, _, meshAddr := benchPair(b, ca, echoAddr)
	for _, target := range []struct{ name, addr string }{{"direct", echoAddr}, {"mesh", meshAddr}} {
		b.Run(target.name, func(b *testing.B) {
			const conns = 100
			cs := make(chan net.Conn, conns)
			for range conns {
				cs <- benchConn(b, target.addr)
			}
			b.SetParallelism((conns + 1) / 2) // GOMAXPROCS=2 here: 100 goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := <-cs
				defer func() { cs <- c }()
				msg, buf := make([]byte, 64), make([]byte, 64)
				for pb.Next() {
					if _, err := c.Write(msg); err != nil {
						b.Error(err)
						return
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
