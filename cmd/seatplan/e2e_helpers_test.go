package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/seatplan/seatplan/handlers/apitest"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m, apitest.CheckDefaultTransport()) }

// server is a real `seatplan serve` started in-process through run.
type server struct {
	URL    string
	dbURL  string
	stdout *lineBuffer
	stop   func() error
}

// lineBuffer collects a command's output and lets tests wait for a line.
type lineBuffer struct {
	mu    sync.Mutex
	lines []string
	w     *io.PipeWriter
}

func newLineBuffer() *lineBuffer {
	r, w := io.Pipe()
	lb := &lineBuffer{w: w}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lb.mu.Lock()
			lb.lines = append(lb.lines, sc.Text())
			lb.mu.Unlock()
		}
	}()
	return lb
}

func (lb *lineBuffer) Write(p []byte) (int, error) { return lb.w.Write(p) }

func (lb *lineBuffer) String() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return strings.Join(lb.lines, "\n")
}

// waitFor returns the last submatch of re in the output, waiting up to timeout.
func (lb *lineBuffer) waitFor(t testing.TB, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	var m []string
	storetest.WaitWithin(t, timeout, "a line matching "+re.String(), func() bool {
		m = re.FindStringSubmatch(lb.String())
		return m != nil
	})
	return m[len(m)-1]
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// env builds a getenv from pairs; each test gets its own data dir.
func env(t testing.TB, pairs ...string) func(string) string {
	m := map[string]string{"SEATPLAN_DATA_DIR": t.TempDir(), "SEATPLAN_LOG_LEVEL": "warn"}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

// testEnv is env with a fresh database of the suite's cluster.
func testEnv(t testing.TB, pairs ...string) func(string) string {
	return env(t, append([]string{"DATABASE_URL", storetest.NewDatabase(t)}, pairs...)...)
}

// startServer runs `seatplan serve` on port 0 and waits for /healthz.
func startServer(t testing.TB, getenv func(string) string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := newLineBuffer()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"seatplan", "serve", "-addr", "127.0.0.1:0"}, args...), getenv, strings.NewReader(""), out, testLogWriter{t})
	}()
	s := &server{stdout: out, dbURL: getenv("DATABASE_URL")}
	s.stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("serve did not stop within 30 s")
		}
	})
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	s.URL = out.waitFor(t, listeningRE, 60*time.Second)
	waitHealthy(t, s.URL)
	return s
}

func waitHealthy(t testing.TB, base string) {
	t.Helper()
	waitForAnswer(t, base+"/healthz", http.StatusOK)
}

// waitForAnswer waits until a GET of url answers status.
func waitForAnswer(t testing.TB, url string, status int) {
	t.Helper()
	storetest.WaitWithin(t, 30*time.Second, url+" answers "+strconv.Itoa(status), func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == status
	})
}

// testLogWriter sends the server's logs to the test log.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// runCommand runs one CLI command to completion and returns its stdout.
func runCommand(t testing.TB, getenv func(string) string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := run(context.Background(), append([]string{"seatplan"}, args...), getenv, strings.NewReader(stdin), &out, testLogWriter{t})
	return out.String(), err
}

// apiClient is a stock x/oauth2 client-credentials client of one server.
type apiClient struct {
	t    testing.TB
	base string
	http *http.Client
}

// addClient registers an API client with `seatplan client add`, as an
// operator would, and returns the credentials it printed.
func addClient(t testing.TB, getenv func(string) string, name, role string) store.ClientCredentials {
	t.Helper()
	out, err := runCommand(t, getenv, "", "client", "add", "--name", name, "--role", role)
	if err != nil {
		t.Fatal(err)
	}
	var creds store.ClientCredentials
	if err := json.Unmarshal([]byte(out), &creds); err != nil || creds.ClientID == "" || creds.ClientSecret == "" {
		t.Fatalf("client add printed %q: %v", out, err)
	}
	return creds
}

// oauthConfig is a stock x/oauth2 client-credentials configuration for the
// server at base.
func oauthConfig(creds store.ClientCredentials, base string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, TokenURL: base + "/oauth/token"}
}

// newAPIClients registers one API client in the database at dbURL and
// returns a client of it for each server base URL.
func newAPIClients(t testing.TB, dbURL, name, role string, bases ...string) []*apiClient {
	t.Helper()
	creds := addClient(t, env(t, "DATABASE_URL", dbURL), name, role)
	clients := make([]*apiClient, len(bases))
	for i, base := range bases {
		clients[i] = &apiClient{t: t, base: base, http: oauthConfig(creds, base).Client(context.Background())}
	}
	return clients
}

// newAPIClient is one client of s, registered in s's database.
func newAPIClient(t testing.TB, s *server, name, role string) *apiClient {
	return newAPIClients(t, s.dbURL, name, role, s.URL)[0]
}

// send makes one request and decodes a JSON answer (nil when there is none).
func (c *apiClient) send(method, path, contentType string, body io.Reader, header ...string) (int, http.Header, map[string]any, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	var v map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return resp.StatusCode, resp.Header, nil, fmt.Errorf("%s %s: %d, not JSON: %.200s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, resp.Header, v, nil
}

// do sends a raw body; errors are returned, for goroutines that must not Fatal.
func (c *apiClient) do(method, path, contentType, body string) (int, map[string]any, error) {
	status, _, v, err := c.send(method, path, contentType, strings.NewReader(body))
	return status, v, err
}

// call sends body as JSON (nil: no body) and fails the test on a transport error.
func (c *apiClient) call(method, path string, body any, header ...string) (int, http.Header, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	contentType := ""
	if body != nil {
		raw, _ := json.Marshal(body)
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	status, h, v, err := c.send(method, path, contentType, rd, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return status, h, v
}
