package bridgenet

import (
	"fmt"
	"net"
	"runtime"

	"github.com/vishvananda/netns"
)

// listenInNS opens a TCP listener at addr inside the namespace at nsPath.
// A socket belongs to the namespace of the thread that made it, so it is
// made on a locked thread switched into the namespace and back; a thread
// that cannot switch back stays locked and the runtime ends it.
func listenInNS(nsPath, addr string) (net.Listener, error) {
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("opening the agent's namespace: %w", err)}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(nsPath)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("opening namespace %s: %w", nsPath, err)}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("entering namespace %s: %w", nsPath, err)}
			return
		}
		ln, lerr := net.Listen("tcp", addr)
		if err := netns.Set(orig); err != nil {
			if ln != nil {
				ln.Close()
			}
			ch <- result{err: fmt.Errorf("returning to the agent's namespace: %w", err)}
			return
		}
		runtime.UnlockOSThread()
		if lerr != nil {
			lerr = fmt.Errorf("listening on %s in namespace %s: %w", addr, nsPath, lerr)
		}
		ch <- result{ln: ln, err: lerr}
	}()
	r := <-ch
	return r.ln, r.err
}
