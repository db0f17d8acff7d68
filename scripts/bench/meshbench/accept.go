package main

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// connGroup holds the open connections of one listener, so that stopping
// closes them all.
type connGroup struct {
	ctx   context.Context
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// hold adds c to the group; false (and c untouched) once the group is
// stopping, when the caller must close it itself.
func (g *connGroup) hold(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx.Err() != nil {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

// release removes c from the group and closes it.
func (g *connGroup) release(c net.Conn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	c.Close()
}

func (g *connGroup) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		c.Close()
	}
}

// acceptLoop runs handle in a goroutine of its own for every connection of
// ln until ctx ends, then closes the listener and every connection held
// and waits for the handlers. Each accepted connection is held, and
// released when its handler returns.
func acceptLoop(ctx context.Context, ln net.Listener, handle func(g *connGroup, c net.Conn)) error {
	// Our own cancel so that a failing listener also ends the stopper.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &connGroup{ctx: ctx, conns: map[net.Conn]struct{}{}}
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		ln.Close()
		g.closeAll()
	}()
	defer func() { cancel(); <-stopped; wg.Wait() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		if !g.hold(c) {
			c.Close()
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.release(c)
			handle(g, c)
		}()
	}
}
