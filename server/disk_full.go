package server

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/appmesh/appmesh/structs"
)

// diskFull turns a write that failed for want of disk space (the Raft log
// store, a snapshot) into a clear answer: the write was not made, reads
// still work, and writes resume once space is freed. Other errors pass
// unchanged.
func (s *Server) diskFull(err error) error {
	if err == nil || !(errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), syscall.ENOSPC.Error())) {
		return err
	}
	s.logger.Error("write refused: the data directory is full", "data_dir", s.config.DataDir, "error", err)
	return fmt.Errorf("%w: the server's data directory has no space left, so the write was not made; "+
		"reads still work, and writes resume once space is freed (%v)", structs.ErrDiskFull, err)
}
