package pgserver_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/pgserver"
)

func TestStart_ServesUntilStopped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tcp        bool
		serverAddr string // inet_server_addr() as text: "" over a Unix socket
	}{
		{name: "UnixSocketOnly", tcp: false, serverAddr: ""},
		{name: "TCP", tcp: true, serverAddr: "127.0.0.1/32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dataDir := newDataDir(t)
			c := start(t, pgserver.Options{DataDir: dataDir, TCP: tt.tcp, Ephemeral: true})
			if !c.Owned() {
				t.Fatal("Owned() = false for a server Start started")
			}

			var user, addr string
			queryRow(t, c.URL("postgres"), "SELECT current_user, coalesce(inet_server_addr()::text, '')", &user, &addr)
			if user != "postgres" || addr != tt.serverAddr {
				t.Errorf("connected as %q via %q, want postgres via %q", user, addr, tt.serverAddr)
			}
			pid := postmasterPID(t, dataDir)
			if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
				t.Errorf("postmaster process group = %d (%v), want its own (%d) so a terminal's Ctrl-C does not reach it", pgid, err, pid)
			}
			if os.Geteuid() == 0 {
				if uid := processUID(t, pid); uid == 0 {
					t.Error("postmaster runs as root")
				}
			}

			if err := c.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if !processGone(pid) {
				t.Errorf("postmaster %d still running after Stop", pid)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("postmaster.pid after Stop: %v, want it removed by a clean shutdown", err)
			}
		})
	}
}

func TestStart_AfterCrashReusesClusterDespiteStalePIDFile(t *testing.T) {
	t.Parallel()
	dataDir := newDataDir(t)
	first := start(t, pgserver.Options{DataDir: dataDir, Ephemeral: true})
	execSQL(t, first.URL("postgres"), "CREATE TABLE survivor (id int)")
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	contents, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	// A crashed server leaves its postmaster.pid behind, naming a dead process.
	_, rest, _ := strings.Cut(string(contents), "\n")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(deadPID(t))+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	giveToDataDirOwner(t, pidFile)

	second := start(t, pgserver.Options{DataDir: dataDir, Ephemeral: true})

	if !second.Owned() {
		t.Error("Start attached to the dead server of a stale postmaster.pid")
	}
	var tables int
	queryRow(t, second.URL("postgres"), "SELECT count(*) FROM pg_tables WHERE tablename = 'survivor'", &tables)
	if tables != 1 {
		t.Errorf("table created before the restart: found %d, want 1", tables)
	}
}

func TestStart_AttachesToServerAlreadyRunning(t *testing.T) {
	t.Parallel()
	dataDir := newDataDir(t)
	owner := start(t, pgserver.Options{DataDir: dataDir, TCP: true, Ephemeral: true})

	attached := start(t, pgserver.Options{DataDir: dataDir, TCP: true, Ephemeral: true})

	if attached.Owned() {
		t.Error("second Start for a running server: Owned() = true, want false")
	}
	if got, want := attached.URL("app"), owner.URL("app"); got != want {
		t.Errorf("attached URL = %q, want the owner's %q", got, want)
	}
	var one int
	queryRow(t, attached.URL("postgres"), "SELECT 1", &one)
	if err := attached.Stop(); err != nil {
		t.Fatalf("Stop of an attached cluster: %v", err)
	}
	queryRow(t, owner.URL("postgres"), "SELECT 1", &one) // still serving
}

func TestStart_PostmasterExitsWhenStarterIsKilled(t *testing.T) {
	t.Parallel()
	dataDir := newDataDir(t)
	starter := exec.Command(os.Args[0], "-test.run=^TestHelperStartClusterAndHang$")
	starter.Env = append(os.Environ(), helperDataDirEnv+"="+dataDir)
	var stderr bytes.Buffer
	starter.Stderr = &stderr
	stdout, err := starter.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := starter.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { starter.Process.Kill(); starter.Wait() })
	ready := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if lines.Text() == helperReady {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			starter.Wait()
			t.Fatalf("helper process ended without starting a cluster:\n%s", &stderr)
		}
	case <-time.After(time.Minute):
		t.Fatalf("helper process did not start a cluster within a minute:\n%s", &stderr)
	}
	pid := postmasterPID(t, dataDir)

	if err := starter.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	starter.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d still running 10s after the process that started it was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after the starter died: %v, want it removed by a clean shutdown", err)
	}
}

const (
	helperDataDirEnv = "PGSERVER_TEST_HELPER_DATA_DIR"
	helperReady      = "cluster ready"
)

// TestHelperStartClusterAndHang is the process TestStart_PostmasterExitsWhenStarterIsKilled kills.
func TestHelperStartClusterAndHang(t *testing.T) {
	dataDir := os.Getenv(helperDataDirEnv)
	if dataDir == "" {
		t.Skip("helper process for TestStart_PostmasterExitsWhenStarterIsKilled")
	}
	if _, err := pgserver.Start(t.Context(), pgserver.Options{DataDir: dataDir, Ephemeral: true}); err != nil {
		t.Fatal(err)
	}
	fmt.Println(helperReady)
	time.Sleep(time.Minute)
	t.Fatal("not killed within a minute")
}

func TestStart_RefusesSocketPathOverLimit(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(newDataDir(t), strings.Repeat("d", 100))

	_, err := pgserver.Start(t.Context(), pgserver.Options{DataDir: dataDir})

	if err == nil || !strings.Contains(err.Error(), "107-byte limit") {
		t.Errorf("Start with a %d-byte data directory path: error %v, want the socket path limit explained", len(dataDir), err)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory created before the refusal: %v", err)
	}
}

func TestStart_AsRootRefusesParentClosedToServerUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("privileges are dropped only when running as root")
	}
	closed := filepath.Join(filepath.Dir(newDataDir(t)), "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}

	_, err := pgserver.Start(t.Context(), pgserver.Options{DataDir: filepath.Join(closed, "data")})

	if err == nil || !strings.Contains(err.Error(), "cannot enter "+closed) {
		t.Errorf("Start under a 0700 root-owned directory: error %v, want one naming %s", err, closed)
	}
	if info, err := os.Stat(closed); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("closed directory changed: %v %v", info.Mode(), err)
	}
}

func TestFindBinaries_FindsServerAndInitdb(t *testing.T) {
	t.Parallel()
	binDir, err := pgserver.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postgres", "initdb"} {
		if _, err := os.Stat(filepath.Join(binDir, name)); err != nil {
			t.Errorf("FindBinaries() = %s, which lacks %s: %v", binDir, name, err)
		}
	}
}

// newDataDir returns a cluster path in a fresh directory that the account a
// root test drops to can enter.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgserver-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "data")
}

func start(t *testing.T, opts pgserver.Options) *pgserver.Cluster {
	t.Helper()
	c, err := pgserver.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

func queryRow(t *testing.T, url, sql string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if err := conn.QueryRow(t.Context(), sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// giveToDataDirOwner gives path to the owner of its directory, as the server
// account owns what it writes there.
func giveToDataDirOwner(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	owner := info.Sys().(*syscall.Stat_t)
	if err := os.Chown(path, int(owner.Uid), int(owner.Gid)); err != nil {
		t.Fatal(err)
	}
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// processGone reports whether pid has exited. An orphan that exited stays a
// zombie until reaped, and PID 1 of a container may never reap it.
func processGone(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name, which is in parentheses.
	afterName := stat[bytes.LastIndexByte(stat, ')')+1:]
	return bytes.HasPrefix(afterName, []byte(" Z"))
}

func processUID(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return 0
}

func TestLocate_AsRootPlacesTheClusterOfAPrivateDirectoryWhereItsUserCanReachIt(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root drops privileges, so only root meets directories the server cannot enter")
	}
	open := filepath.Dir(newDataDir(t))
	if dir, why, err := pgserver.Locate(filepath.Join(open, "data")); err != nil || dir != filepath.Join(open, "data") || why != "" {
		t.Errorf("Locate of a reachable directory: %s %q %v, want it unchanged", dir, why, err)
	}
	private := filepath.Join(open, "home")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(private, "seatplan", ".data", "postgres")

	dir, why, err := pgserver.Locate(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if dir == dataDir || strings.HasPrefix(dir, private) || !strings.Contains(why, private) {
		t.Fatalf("Locate(%s) = %s (%s), want a directory outside %s and the reason", dataDir, dir, why, private)
	}
	if again, _, err := pgserver.Locate(dataDir); err != nil || again != dir {
		t.Errorf("a second Locate gave %s (%v), want %s again", again, err, dir)
	}
	if other, _, err := pgserver.Locate(filepath.Join(private, "other", ".data", "postgres")); err != nil || other == dir {
		t.Errorf("another data directory shares the cluster %s (%v)", other, err)
	}
	c := start(t, pgserver.Options{DataDir: dir, Ephemeral: true})
	var user string
	queryRow(t, c.URL("postgres"), "SELECT current_user", &user)
	if uid := processUID(t, postmasterPID(t, dir)); uid == 0 || user != "postgres" {
		t.Errorf("cluster runs as uid %d, connected as %q", uid, user)
	}
	if info, err := os.Stat(private); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("the private directory changed: %v %v", info.Mode(), err)
	}
}
