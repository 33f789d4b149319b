// Package pgserver runs a private PostgreSQL cluster from the server binaries
// installed on the machine: the development database of `seatplan serve` and
// the throwaway databases of the test suite.
package pgserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

const (
	superuser  = "postgres"
	loopback   = "127.0.0.1"
	socketPort = 5432 // names the socket file when the server listens on no TCP port
	// maxSocketPath is the longest Unix socket path Linux accepts:
	// sizeof(sockaddr_un.sun_path) less the terminating NUL.
	maxSocketPath = 107

	readyTimeout             = 30 * time.Second
	fastShutdownTimeout      = 30 * time.Second
	immediateShutdownTimeout = 10 * time.Second
	killTimeout              = 10 * time.Second
	logTailBytes             = 4096
)

// hbaConf replaces initdb's pg_hba.conf, which also trusts ::1 and
// replication connections.
const hbaConf = `# Written by seatplan's pgserver. Trust is safe here: the socket lives in the
# 0700 data directory, and TCP, when enabled, listens on 127.0.0.1 only.
local all all trust
host  all all 127.0.0.1/32 trust
`

// Options configure Start.
type Options struct {
	// DataDir is the cluster directory; initdb runs when it holds no cluster yet.
	DataDir string
	// TCP also listens on a free port of 127.0.0.1; otherwise the server
	// listens only on a Unix socket inside DataDir.
	TCP bool
	// Port, with TCP, is the port to listen on instead of a free one: a
	// cluster started again on its old port keeps its clients' URLs valid.
	Port int
	// Ephemeral trades durability for speed, for clusters that die with a
	// test run: fsync, synchronous_commit and full_page_writes off, initdb -N.
	Ephemeral bool
	// Log receives pgserver's own messages; nil discards them.
	Log *slog.Logger
	// Output receives the server log; nil appends it to DataDir/logfile.
	Output io.Writer
}

// Cluster is a running PostgreSQL server, started by Start or found running
// for the same data directory.
type Cluster struct {
	dataDir    string
	host       string // the socket directory, or the TCP address
	port       int
	log        *slog.Logger
	postmaster *postmaster // nil when attached to a server another process started
	logFile    *os.File    // nil unless pgserver opened DataDir/logfile

	stopOnce sync.Once
	stopErr  error
}

// Start runs a PostgreSQL server for opts.DataDir, creating the cluster if
// needed, and returns once it accepts connections. When a server already runs
// for that directory, Start attaches to it instead; see Cluster.Owned.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("start PostgreSQL: no data directory given")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("data_dir", dataDir)
	// A stale postmaster.pid, left by a server that crashed, names a dead
	// process; the new postmaster removes it itself.
	if status, err := readPostmasterPID(dataDir); err == nil && processAlive(status.pid) {
		c, err := attach(ctx, dataDir, status, log)
		if err != nil {
			return nil, fmt.Errorf("attach to PostgreSQL already running in %s: %w", dataDir, err)
		}
		return c, nil
	}
	c, err := start(ctx, dataDir, opts, log)
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL in %s: %w", dataDir, err)
	}
	return c, nil
}

func start(ctx context.Context, dataDir string, opts Options, log *slog.Logger) (*Cluster, error) {
	binDir, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	account, err := dropPrivileges()
	if err != nil {
		return nil, err
	}
	c := &Cluster{dataDir: dataDir, host: dataDir, port: socketPort, log: log}
	if opts.TCP {
		if c.port = opts.Port; c.port == 0 {
			if c.port, err = freeLoopbackPort(); err != nil {
				return nil, fmt.Errorf("pick a TCP port: %w", err)
			}
		}
		c.host = loopback
	}
	if socket := filepath.Join(dataDir, ".s.PGSQL."+strconv.Itoa(c.port)); len(socket) > maxSocketPath {
		return nil, fmt.Errorf("socket path %s is %d bytes, over the %d-byte limit of Unix sockets: use a shorter data directory path",
			socket, len(socket), maxSocketPath)
	}
	if err := prepareDataDir(dataDir, account); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := initCluster(ctx, binDir, dataDir, account, opts.Ephemeral); err != nil {
			return nil, err
		}
		log.Info("initialized PostgreSQL cluster", "bin_dir", binDir)
	} else if err != nil {
		return nil, err
	}
	if err := c.launch(ctx, binDir, account, opts); err != nil {
		return nil, err
	}
	attrs := []any{"pid", c.postmaster.process.Pid, "url", c.URL("postgres")}
	if account != nil {
		attrs = append(attrs, "user", account.name)
	}
	log.Info("started PostgreSQL", attrs...)
	return c, nil
}

func prepareDataDir(dataDir string, account *serverAccount) error {
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := account.checkTraversable(dataDir); err != nil {
		return err
	}
	return account.own(dataDir)
}

func initCluster(ctx context.Context, binDir, dataDir string, account *serverAccount, ephemeral bool) error {
	args := []string{"-D", dataDir, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C"}
	if ephemeral {
		args = append(args, "-N") // skip fsync
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Dir = dataDir // our working directory may be closed to a dropped-privilege user
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: account.credential()}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return account.writeFile(filepath.Join(dataDir, "pg_hba.conf"), []byte(hbaConf))
}

// launch starts the postmaster and waits until it accepts connections.
func (c *Cluster) launch(ctx context.Context, binDir string, account *serverAccount, opts Options) error {
	listen := ""
	if opts.TCP {
		listen = loopback
	}
	args := []string{"-D", c.dataDir, "-k", c.dataDir, "-p", strconv.Itoa(c.port), "-c", "listen_addresses=" + listen}
	if opts.Ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = c.dataDir
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group keeps a terminal's Ctrl-C away from the
		// server: it reaches us, and we stop the server in order.
		Setpgid: true,
		// Fast shutdown when we die, even by SIGKILL. Go sets it after
		// switching credentials, which would otherwise clear it.
		Pdeathsig:  syscall.SIGINT,
		Credential: account.credential(),
	}
	output := opts.Output
	if output == nil {
		f, err := os.OpenFile(filepath.Join(c.dataDir, "logfile"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		c.logFile, output = f, f
	}
	tail := &logTail{}
	cmd.Stdout = io.MultiWriter(output, tail)
	cmd.Stderr = cmd.Stdout
	// Backends outliving a dead postmaster must not hold Wait on the log pipe.
	cmd.WaitDelay = 5 * time.Second

	pm, err := spawn(cmd)
	if err != nil {
		c.closeLog()
		return err
	}
	c.postmaster = pm
	if err := waitReady(ctx, c.URL("postgres"), pm.exitedDuringStartup); err != nil {
		c.Stop()
		return fmt.Errorf("%w\n--- server log (end) ---\n%s", err, tail)
	}
	return nil
}

func attach(ctx context.Context, dataDir string, status postmasterStatus, log *slog.Logger) (*Cluster, error) {
	c := &Cluster{
		dataDir: dataDir,
		host:    cmp.Or(status.socketDir, dataDir),
		port:    cmp.Or(status.port, socketPort),
		log:     log,
	}
	gone := func() error {
		if processAlive(status.pid) {
			return nil
		}
		return fmt.Errorf("postmaster %d exited", status.pid)
	}
	// The postmaster may still be starting: wait for it as for our own.
	if err := waitReady(ctx, c.URL("postgres"), gone); err != nil {
		return nil, fmt.Errorf("postmaster.pid names running process %d (if that is not PostgreSQL, remove the file): %w", status.pid, err)
	}
	// Once the server accepts connections, the file lists its TCP address, if any.
	if status, err := readPostmasterPID(dataDir); err == nil && status.listenAddr != "" {
		c.host = status.listenAddr
		if c.host == "*" {
			c.host = loopback
		}
	}
	log.Info("attached to running PostgreSQL", "pid", status.pid, "url", c.URL("postgres"))
	return c, nil
}

// Port is the port the server listens on (or names its socket after).
func (c *Cluster) Port() int { return c.port }

// URL is a pgx connection string for the superuser "postgres" and database.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		connValue(c.host), c.port, superuser, connValue(database))
}

// connValue quotes a keyword/value connection string value when it needs it.
func connValue(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\r\v\f'\\") {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Owned reports whether Start started the server, so Stop stops it; false
// when Start attached to a server another process started.
func (c *Cluster) Owned() bool {
	return c.postmaster != nil
}

// Stop shuts an owned server down, escalating from a fast shutdown to an
// immediate one and then SIGKILL if it lingers, and returns once it has
// exited. It does nothing for a server Start attached to.
func (c *Cluster) Stop() error {
	if !c.Owned() {
		return nil
	}
	c.stopOnce.Do(func() {
		defer c.closeLog()
		c.stopErr = c.postmaster.stop(c.log)
	})
	return c.stopErr
}

func (c *Cluster) closeLog() {
	if c.logFile != nil {
		c.logFile.Close()
	}
}

// postmaster is a server process we started.
type postmaster struct {
	process *os.Process
	exited  chan struct{} // closed once the process has exited and been reaped
	err     error         // how it exited; read only after exited is closed
}

// spawn starts cmd from a goroutine locked to its OS thread for the life of
// the process: the kernel sends Pdeathsig when the thread that forked the
// child exits, not the whole process. The goroutine never unlocks, so the
// runtime retires that thread only after the server has exited.
func spawn(cmd *exec.Cmd) (*postmaster, error) {
	pm := &postmaster{exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		pm.process = cmd.Process
		started <- nil
		pm.err = cmd.Wait()
		close(pm.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return pm, nil
}

func (pm *postmaster) exitedDuringStartup() error {
	select {
	case <-pm.exited:
		return fmt.Errorf("postgres exited during startup (%v)", cmp.Or(pm.err, errors.New("exit status 0")))
	default:
		return nil
	}
}

func (pm *postmaster) stop(log *slog.Logger) error {
	steps := []struct {
		signal  syscall.Signal
		meaning string
		wait    time.Duration
	}{
		{syscall.SIGINT, "fast shutdown", fastShutdownTimeout},
		{syscall.SIGQUIT, "immediate shutdown", immediateShutdownTimeout},
		{syscall.SIGKILL, "kill", killTimeout},
	}
	for _, step := range steps {
		if err := pm.process.Signal(step.signal); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stop PostgreSQL (%s): %w", step.meaning, err)
		}
		select {
		case <-pm.exited:
			if pm.err != nil {
				return fmt.Errorf("stop PostgreSQL (%s): postgres exited: %w", step.meaning, pm.err)
			}
			log.Info("stopped PostgreSQL", "pid", pm.process.Pid, "by", step.meaning)
			return nil
		case <-time.After(step.wait):
			log.Warn("PostgreSQL still running", "pid", pm.process.Pid, "after", step.meaning, "waited", step.wait)
		}
	}
	return fmt.Errorf("stop PostgreSQL: pid %d still running after SIGKILL", pm.process.Pid)
}

// waitReady polls until a connection succeeds, the only proof that the
// server accepts clients, failing early once gone reports the server is gone.
func waitReady(ctx context.Context, connString string, gone func() error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		conn, err := pgconn.Connect(ctx, connString)
		if err == nil {
			return conn.Close(ctx)
		}
		if goneErr := gone(); goneErr != nil {
			return goneErr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w (last attempt: %v)", context.Cause(ctx), err)
		case <-poll.C:
		}
	}
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail keeps the end of the server log for error messages.
type logTail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *logTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if excess := len(t.buf) - logTailBytes; excess > 0 {
		t.buf = append(t.buf[:0], t.buf[excess:]...)
	}
	return len(p), nil
}

func (t *logTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
