package proxy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// maxUnixPath is the longest path a sockaddr_un holds: 108 bytes on
// Linux, one of them the terminating NUL.
const maxUnixPath = 107

// ListenUnix listens on a Unix socket at path, replacing a stale socket
// left by an earlier run. A path longer than sun_path (a deep data
// directory) is bound through its directory's /proc/self/fd entry. The
// socket is made 0600: /metrics has no ACL, so only the proxy's user (and
// root, the agent) may read it. Closing the listener removes the file.
func ListenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("unix socket %s: a file that is not a socket is in the way", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("unix socket %s: remove the stale socket: %w", path, err)
		}
	}
	addr, release, err := shortPath(path)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", addr)
	release()
	if err != nil {
		return nil, fmt.Errorf("unix socket %s: %w", path, err)
	}
	// Go would unlink addr on Close: a /proc/self/fd path that no longer
	// names this directory once release closed it. Remove the real path.
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("unix socket %s: %w", path, err)
	}
	return &unixListener{UnixListener: ul, path: path}, nil
}

type unixListener struct {
	*net.UnixListener
	path string
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// Addr names the real path, not the /proc/self/fd one it was bound by.
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

// DialUnix connects to the Unix socket at path, through its directory
// when the path is longer than sun_path.
func DialUnix(ctx context.Context, path string) (net.Conn, error) {
	addr, release, err := shortPath(path)
	if err != nil {
		return nil, err
	}
	defer release()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", addr)
	if err != nil {
		return nil, fmt.Errorf("unix socket %s: %w", path, err)
	}
	return c, nil
}

// shortPath returns an address for path that fits sun_path: path itself
// when it fits, else /proc/self/fd/<dir fd>/<name> with the directory
// held open until release is called (Linux resolves the fd's link during
// bind and connect, so the name lands in the right directory).
func shortPath(path string) (addr string, release func(), err error) {
	if len(path) <= maxUnixPath {
		return path, func() {}, nil
	}
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	f, err := os.Open(dir)
	if err != nil {
		return "", nil, fmt.Errorf("unix socket %s is %d bytes, more than the %d a socket address holds, and its directory cannot be opened to reach it: %w",
			path, len(path), maxUnixPath, err)
	}
	addr = fmt.Sprintf("/proc/self/fd/%d/%s", f.Fd(), name)
	if _, err := os.Stat(fmt.Sprintf("/proc/self/fd/%d", f.Fd())); err != nil || len(addr) > maxUnixPath {
		_ = f.Close()
		return "", nil, fmt.Errorf("unix socket %s is %d bytes, more than the %d a socket address holds (and /proc/self/fd cannot shorten it): use a shorter data directory",
			path, len(path), maxUnixPath)
	}
	return addr, func() { _ = f.Close() }, nil
}
