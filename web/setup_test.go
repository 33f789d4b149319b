package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/handlers/apitest"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m, apitest.CheckDefaultTransport()) }

// bundle is a running server over a database of its own, as setup starts
// it: every test of the package that needs a server starts it this way.
type bundle struct {
	srv      *httptest.Server
	store    *store.Store
	sessions *Sessions
	token    string           // an API client's bearer token, when setupOpts.Role is set: call and send use it
	clock    *storetest.Clock // the store's clock, when setupOpts.Clock is set
}

// setupOpts shapes the server setup starts; the zero value is a server
// for people, with no job workers and nothing logged.
type setupOpts struct {
	Role          store.Role          // an API client of this role signs call and send
	Jobs          bool                // run the job workers
	Lists         handlers.ListLimits // the list limits; defaultLimits when zero
	SecureCookies bool                // what production mode sets
	Clock         bool                // the store runs on a clock the test moves (bundle.clock)
	Logs          io.Writer           // takes the JSON log lines (info and up); discarded when nil
	// Deps, when set, gives the server what else it needs (a keyring, a
	// license cache, metrics) over the bundle's store.
	Deps func(st *store.Store, d *Deps)
}

var defaultLimits = handlers.ListLimits{MaxBytes: 1 << 20, MaxEntries: 1000}

// setup starts a server over a fresh database, shaped by opts.
func setup(t *testing.T, opts setupOpts) *bundle {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	st.PasswordCost = bcrypt.MinCost
	b := &bundle{store: st}
	if opts.Clock {
		b.clock = storetest.NewClock()
		st.Now = b.clock.Now
	}
	logger := slog.New(slog.DiscardHandler)
	if opts.Logs != nil {
		logger = slog.New(slog.NewJSONHandler(opts.Logs, nil))
	}
	if opts.Lists == (handlers.ListLimits{}) {
		opts.Lists = defaultLimits
	}
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	rand.Read(hashKey)
	rand.Read(blockKey)
	b.sessions = NewSessions(hashKey, blockKey, opts.SecureCookies)
	deps := Deps{Store: st, Logger: logger, TokenTTL: time.Hour, Sessions: b.sessions, LeaseTTL: time.Minute, Lists: opts.Lists}
	if opts.Jobs {
		jobs, err := NewJobClient(st, logger, time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := jobs.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			jobs.Stop(stopCtx)
		})
		deps.Jobs = jobs
	}
	if opts.Deps != nil {
		opts.Deps(st, &deps)
	}
	b.srv = httptest.NewServer(NewServer(deps))
	t.Cleanup(b.srv.Close) // before the job workers stop: cleanups run last first
	if opts.Role != "" {
		b.token = b.bearer(t, "api test", opts.Role)
	}
	return b
}

// apiClient registers an API client with role and returns its credentials.
func (b *bundle) apiClient(t *testing.T, name string, role store.Role) store.ClientCredentials {
	t.Helper()
	creds, err := b.store.CreateClient(context.Background(), name, role, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// bearer registers an API client with role and returns a token of it.
func (b *bundle) bearer(t *testing.T, name string, role store.Role) string {
	t.Helper()
	creds := b.apiClient(t, name, role)
	tok, err := b.store.IssueToken(context.Background(), creds.ClientID, creds.ClientSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// as is the same server through another API client with role.
func (b *bundle) as(t *testing.T, name string, role store.Role) *bundle {
	t.Helper()
	other := *b
	other.token = b.bearer(t, name, role)
	return &other
}

// oauthClient is an HTTP client that gets its token from the server's
// token endpoint with creds, as an external tool does.
func (b *bundle) oauthClient(creds store.ClientCredentials) *http.Client {
	cfg := clientcredentials.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, TokenURL: b.srv.URL + "/oauth/token"}
	return cfg.Client(context.Background())
}

// send makes one API request with the bearer token and extra header pairs
// (a Content-Type among them overrides JSON's), and returns the answer with
// its body read.
func (b *bundle) send(t *testing.T, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// call is send for an answer in JSON, decoded.
func (b *bundle) call(t *testing.T, method, path, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	var sent []byte
	if body != nil {
		var err error
		if sent, err = io.ReadAll(body); err != nil {
			t.Fatal(err)
		}
	}
	var header []string
	if contentType != "" {
		header = []string{"Content-Type", contentType}
	}
	resp, raw := b.send(t, method, path, string(sent), header...)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// browser is an HTTP client with cookies that does not follow redirects,
// so tests see each answer.
func (b *bundle) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// person creates a person with role and the password signIn takes.
func (b *bundle) person(t *testing.T, email string, role store.Role) {
	t.Helper()
	if _, err := b.store.CreatePerson(context.Background(), store.NewPerson{Email: email, Role: role, Password: "correct horse battery"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
}

// signIn signs c in on the login form.
func (b *bundle) signIn(t *testing.T, c *http.Client, email, password string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", b.srv.URL+"/login", strings.NewReader(url.Values{"email": {email}, "password": {password}, "next": {"/audit"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// signedInAdmin returns a browser signed in as a new admin.
func (b *bundle) signedInAdmin(t *testing.T) *http.Client {
	t.Helper()
	b.person(t, "ada@example.com", store.RoleAdmin)
	c := b.browser(t)
	b.signIn(t, c, "ada@example.com", "correct horse battery")
	return c
}

// get makes a page request with c and header pairs.
func get(t *testing.T, c *http.Client, u string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// post sends a same-origin form or upload with c and header pairs.
func post(t *testing.T, c *http.Client, u, contentType string, body []byte, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// doc parses a page.
func doc(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
