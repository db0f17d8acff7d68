package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// SendStdin delivers the input to ServeStdin's function and ends with its
// end of file; an error the far end returns before reading comes back.
func TestStdinStream(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    error
		wantErr string
	}{
		{name: "ok"},
		{name: "refused", fail: errors.New("task has no stdin"), wantErr: "task has no stdin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			got := make(chan string, 1)
			go func() {
				defer b.Close()
				_ = ServeStdin(b, func(req *LogsRequest, r io.Reader) error {
					if req.AllocID != "a1" || req.Task != "run" || req.Type != LogTypeStdin {
						got <- "bad request"
						return errors.New("bad request")
					}
					if tc.fail != nil {
						got <- ""
						return tc.fail
					}
					var buf bytes.Buffer
					_, err := io.Copy(&buf, r)
					got <- buf.String()
					return err
				})
			}()
			req := &LogsRequest{AllocID: "a1", Task: "run", Type: LogTypeStdin}
			err := SendStdin(context.Background(), a, req, strings.NewReader("line1\nline2\n"))
			a.Close() // as the callers do: the end of the input
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("SendStdin: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("SendStdin error = %v, want %q", err, tc.wantErr)
			}
			if s := <-got; tc.fail == nil && s != "line1\nline2\n" {
				t.Fatalf("far end read %q", s)
			}
		})
	}
}
