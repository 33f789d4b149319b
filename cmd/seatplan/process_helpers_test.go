package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// seatplanBinary builds bin/seatplan once per test run, for tests that need
// real, separate server processes (several processes on one database, kill -9).
var seatplanBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "seatplan-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "seatplan")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// serveProcess is `seatplan serve` running as its own OS process.
type serveProcess struct {
	URL    string
	cmd    *exec.Cmd
	stdout *lineBuffer
	done   chan error
}

// startServeProcess starts a separate serve process on port 0 with the given
// environment (DATABASE_URL included) and waits until /healthz answers.
func startServeProcess(t testing.TB, environ []string, args ...string) *serveProcess {
	t.Helper()
	bin, err := seatplanBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{stdout: newLineBuffer(), done: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-demo=false"}, args...)...)
	p.cmd.Env = append(append(os.Environ(), "SEATPLAN_DATA_DIR="+t.TempDir(), "SEATPLAN_LOG_LEVEL=warn"), environ...)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = testLogWriter{t}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.Stop(t) })
	p.URL = p.stdout.waitFor(t, regexp.MustCompile(`listening on (http://\S+)`), 60*time.Second)
	waitHealthy(t, p.URL)
	return p
}

// Kill ends the process at once (SIGKILL), as a crash would.
func (p *serveProcess) Kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil && err.Error() != "os: process already finished" {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil // later Stop calls return at once
}

// Stop asks the process to shut down (SIGTERM) and waits for it.
func (p *serveProcess) Stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("serve process did not stop within 30 s")
	}
}
