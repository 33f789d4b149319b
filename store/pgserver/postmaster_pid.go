package pgserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// postmasterStatus is what a running postmaster publishes in the
// postmaster.pid file of its data directory.
type postmasterStatus struct {
	pid        int
	port       int    // 0 until known
	socketDir  string // first Unix socket directory, "" until the sockets exist
	listenAddr string // first TCP listen address, "" when none
}

// The postmaster.pid lines, numbered from 1 as in PostgreSQL's pidfile.h.
const (
	pidLinePID        = 1
	pidLinePort       = 4
	pidLineSocketDir  = 5
	pidLineListenAddr = 6
)

func readPostmasterPID(dataDir string) (postmasterStatus, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return postmasterStatus{}, err
	}
	return parsePostmasterPID(string(data))
}

func parsePostmasterPID(data string) (postmasterStatus, error) {
	lines := strings.Split(data, "\n")
	line := func(n int) string {
		if n > len(lines) {
			return ""
		}
		return strings.TrimSpace(lines[n-1])
	}
	var status postmasterStatus
	pid, err := strconv.Atoi(line(pidLinePID))
	if err != nil || pid <= 0 {
		return status, fmt.Errorf("postmaster.pid: bad PID line %q", line(pidLinePID))
	}
	status.pid = pid
	if port, err := strconv.Atoi(line(pidLinePort)); err == nil && port > 0 && port <= 65535 {
		status.port = port
	}
	status.socketDir = line(pidLineSocketDir)
	status.listenAddr = line(pidLineListenAddr)
	return status, nil
}

// processAlive reports whether pid names a process; EPERM means one exists
// that belongs to another user.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
