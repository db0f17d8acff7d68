package drivers

import (
	"path/filepath"
	"strings"
)

// StdinFIFOName is the named pipe, in a task's log directory, that feeds a
// task started with TaskConfig.Stdin (or `stdin = true` in its config):
// whoever opens it for writing on the node provides the task's standard
// input, and closing it gives the task end of file.
func StdinFIFOName(task string) string {
	return "." + strings.ReplaceAll(task, "/", "_") + ".stdin.fifo"
}

// StdinFIFOPath is the stdin FIFO of a task whose logs live in logDir.
func StdinFIFOPath(logDir, task string) string {
	return filepath.Join(logDir, StdinFIFOName(task))
}

// WantsStdin reports whether a task asks for a stdin FIFO: the Stdin field
// or `stdin = true` in its driver config.
func (c *TaskConfig) WantsStdin() bool {
	if c == nil {
		return false
	}
	if c.Stdin {
		return true
	}
	b, _ := c.Config["stdin"].(bool)
	return b
}
