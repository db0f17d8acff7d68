package exec

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func writeFile(path, value string) error { return os.WriteFile(path, []byte(value), 0o644) }

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// rmdirRetry removes a cgroup directory. Right after its last process died
// the kernel may still report it busy for a moment, so EBUSY is retried.
func rmdirRetry(dir string) error {
	deadline := time.Now().Add(killWait)
	for {
		err := unix.Rmdir(dir)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY) && time.Now().Before(deadline):
			time.Sleep(killPoll)
		default:
			return fmt.Errorf("removing %s: %w", dir, err)
		}
	}
}
