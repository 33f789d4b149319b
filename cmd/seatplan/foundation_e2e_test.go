package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestServe_DemoDataLetsEachRoleSignIn(t *testing.T) {
	t.Parallel()
	s := startServer(t, testEnv(t))
	for _, login := range []string{"admin@example.com", "author@example.com", "support@example.com"} {
		if !strings.Contains(s.stdout.String(), login) {
			t.Errorf("the demo logins printed at start lack %s:\n%s", login, s.stdout.String())
		}
	}
}

func TestOAuth_StockClientCredentialsClientWorksUnchanged(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv, "-demo=false")
	creds := addClient(t, getenv, "LMS sync", "author")
	resp, err := oauthConfig(creds, s.URL).Client(context.Background()).Get(s.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me map[string]string
	json.NewDecoder(resp.Body).Decode(&me)
	if resp.StatusCode != http.StatusOK || me["name"] != "LMS sync" || me["role"] != "author" || me["kind"] != "client" {
		t.Errorf("GET /api/v1/me with the stock client: %d %v", resp.StatusCode, me)
	}

	bad := oauthConfig(creds, s.URL)
	bad.ClientSecret = "wrong"
	if _, err := bad.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("wrong secret: %v, want invalid_client", err)
	}
}

func TestUserAdd_ReadsThePasswordFromStdin(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	if _, err := runCommand(t, getenv, "a long secret phrase\n", "user", "add", "--email", "Zoe@Example.com", "--role", "support"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, getenv, "-demo=false")
	ctx := newBrowser(t)
	if err := signInInBrowser(ctx, s.URL, "zoe@example.com", "a long secret phrase"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testid("dashboard-card"))); err != nil {
		t.Errorf("the new person could not sign in: %v", err)
	}
	if _, err := runCommand(t, getenv, "short\n", "user", "add", "--email", "x@example.com", "--role", "support"); err == nil {
		t.Error("a too-short password was accepted")
	}
}

func TestBrowser_SignInShowsTheDashboard(t *testing.T) {
	t.Parallel()
	s := startServer(t, testEnv(t))
	ctx := newBrowser(t)

	if err := signInInBrowser(ctx, s.URL, "admin@example.com", "not the password"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testid("login-error"))); err != nil {
		t.Fatal(err)
	}
	loginError, err := chromedp.Run(ctx, chromedp.Text(testid("login-error")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loginError, "incorrect") {
		t.Errorf("wrong password message: %q", loginError)
	}

	if err := signInInBrowser(ctx, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testid("dashboard-card"))); err != nil {
		t.Fatalf("no dashboard after signing in: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "Dashboard") && !strings.Contains(heading, "Welcome") {
		t.Errorf("dashboard heading %q", heading)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "dashboard.png", png)
}

func TestServe_EmbeddedPostgresIsSharedAndStoppedOnShutdown(t *testing.T) {
	t.Parallel()
	// Not t.TempDir: its parent is private, and as root the cluster runs as
	// an unprivileged user that must be able to enter the data dir.
	dataDir, err := os.MkdirTemp("", "seatplan-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dataDir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	getenv := env(t, "SEATPLAN_DATA_DIR", dataDir)
	s := startServer(t, getenv, "-demo=false")

	// A second command while serve runs attaches to the same cluster.
	if _, err := runCommand(t, getenv, "", "client", "add", "--name", "second", "--role", "admin"); err != nil {
		t.Fatalf("client add against the running embedded cluster: %v", err)
	}
	waitHealthy(t, s.URL) // the command's exit did not stop serve's cluster

	pidFile := filepath.Join(dataDir, "postgres", "postmaster.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, fmt.Sprintf("postgres (pid %d) stops with serve", pid), func() bool { return syscall.Kill(pid, 0) != nil })
}

func TestServe_AsRootFromAPrivateCheckoutKeepsTheClusterWhereItsUserCanReachIt(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root runs PostgreSQL as another user, who may not enter a private directory")
	}
	private, err := os.MkdirTemp("", "seatplan-private-") // mode 700, as mktemp -d makes it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(private) })
	getenv := env(t, "SEATPLAN_DATA_DIR", filepath.Join(private, ".data"))
	where := regexp.MustCompile(`Embedded PostgreSQL keeps its files in (\S+):`)

	first := startServer(t, getenv)
	cluster := first.stdout.waitFor(t, where, time.Second)
	t.Cleanup(func() { os.RemoveAll(cluster) })
	if strings.HasPrefix(cluster, private) || !strings.Contains(first.stdout.String(), "Demo logins") {
		t.Fatalf("first run: cluster in %s; output:\n%s", cluster, first.stdout)
	}
	raw, err := os.ReadFile(filepath.Join(cluster, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, fmt.Sprintf("postgres (pid %d) stops with serve", pid), func() bool { return syscall.Kill(pid, 0) != nil })

	// The next run finds the same cluster, demo data and all.
	second := startServer(t, getenv)
	if again := second.stdout.waitFor(t, where, time.Second); again != cluster {
		t.Errorf("second run keeps its cluster in %s, the first in %s", again, cluster)
	}
	if strings.Contains(second.stdout.String(), "Demo logins") {
		t.Error("the second run loaded demo data again: it did not find the first run's cluster")
	}
}

func TestStatic_HtmxIsServedWithAContentHashAndLongCache(t *testing.T) {
	t.Parallel()
	s := startServer(t, testEnv(t), "-demo=false")
	resp, err := http.Get(s.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	i := strings.Index(string(body), "/static/vendor/htmx.min.")
	if i < 0 {
		t.Fatal("the login page does not load htmx from /static/vendor")
	}
	src := string(body[i:])
	src = src[:strings.IndexByte(src, '"')]
	js, err := http.Get(s.URL + src)
	if err != nil {
		t.Fatal(err)
	}
	jsBody, _ := io.ReadAll(js.Body)
	js.Body.Close()
	if js.StatusCode != 200 || !strings.Contains(js.Header.Get("Cache-Control"), "immutable") || !strings.Contains(string(jsBody), "htmx") {
		t.Errorf("%s: %d, Cache-Control %q", src, js.StatusCode, js.Header.Get("Cache-Control"))
	}
}
