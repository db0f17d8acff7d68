package command

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/appmesh/appmesh/api"
)

// followWindowSize sends the terminal's new size on every SIGWINCH until
// ctx is done or stop is called; only the newest size waits in sizes.
func followWindowSize(ctx context.Context, fd int, sizes chan api.TerminalSize) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				w, h, err := term.GetSize(fd)
				if err != nil {
					continue
				}
				select {
				case <-sizes: // replace a size not sent yet
				default:
				}
				sizes <- api.TerminalSize{Height: uint16(h), Width: uint16(w)}
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		cancel()
		<-done
	}
}
