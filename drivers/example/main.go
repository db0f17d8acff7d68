// Command appmesh-driver-hello is an example third-party appmesh task
// driver, built as its own binary and dropped into the agent's -plugin-dir.
// Its tasks print a configured message to their stdout at a fixed interval
// until stopped:
//
//	task "greeter" {
//	  driver = "hello"
//	  config {
//	    message  = "hello, world"
//	    interval = "1s"
//	  }
//	}
package main

import "github.com/appmesh/appmesh/drivers"

func main() {
	drivers.Serve(NewDriver(), nil)
}
