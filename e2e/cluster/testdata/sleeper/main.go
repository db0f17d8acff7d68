// Command sleeper is the task of the Docker cluster tests: the scratch image
// they build has no shell and no sleep(1), so this static program stands in.
// It sleeps for the number of seconds in its first argument (the tests pass
// a number unique to the run, so the process can be recognised) and exits 0
// on SIGTERM or SIGINT.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	secs := 3600
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "usage: sleeper SECONDS (got %q)\n", os.Args[1])
			os.Exit(2)
		}
		secs = n
	}
	fmt.Printf("sleeper: sleeping %d s\n", secs)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		fmt.Printf("sleeper: %v, exiting\n", s)
	case <-time.After(time.Duration(secs) * time.Second):
		fmt.Println("sleeper: done")
	}
}
