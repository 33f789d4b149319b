package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seatplan/seatplan/store/storetest"
)

// signInOver posts the login form to base as a browser behind the proxy
// would, the client's address in X-Forwarded-For.
func signInOver(base, email, password, clientAddr string) (*http.Response, error) {
	req, err := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("X-Forwarded-For", clientAddr)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// Two processes behind one proxy (loopback, trusted) share the counters:
// an attack spread over both gets no more evaluations than one process
// would allow, and the owner still signs in from their own address.
func TestSignIn_ParallelAttackOnTwoProcessesIsBoundedAndTheOwnerGetsIn(t *testing.T) {
	t.Parallel()
	const freeAttempts = 4
	dbURL := storetest.NewDatabase(t)
	if _, err := runCommand(t, env(t, "DATABASE_URL", dbURL), "correct horse battery\n", "user", "add", "--email", "victim@example.com", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	environ := []string{"DATABASE_URL=" + dbURL, "SEATPLAN_SESSION_KEY=" + strings.Repeat("k", 40),
		"SEATPLAN_TRUSTED_PROXIES=127.0.0.1", "SEATPLAN_SIGN_IN_ATTEMPTS=" + strconv.Itoa(freeAttempts),
		// A back-off longer than the test: any evaluation beyond the free
		// attempts would be a breach, not a timing accident.
		"SEATPLAN_SIGN_IN_BACKOFF=1h", "SEATPLAN_SIGN_IN_MAX_BACKOFF=1h"}
	procs := []*serveProcess{startServeProcess(t, environ), startServeProcess(t, environ)}

	const guesses = 80
	var evaluated, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range guesses {
		wg.Go(func() {
			<-start
			// Other spellings of the email are the same account.
			email := []string{"victim@example.com", "VICTIM@Example.com", " victim@EXAMPLE.com"}[i%3]
			resp, err := signInOver(procs[i%2].URL, email, fmt.Sprint("guess ", i), "203.0.113.7")
			switch {
			case err != nil:
				t.Error(err)
			case resp.StatusCode == http.StatusUnauthorized:
				evaluated.Add(1)
			case resp.StatusCode == http.StatusTooManyRequests:
				if resp.Header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				refused.Add(1)
			default:
				t.Errorf("guess %d: %d", i, resp.StatusCode)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := evaluated.Load(); n == 0 || n > freeAttempts {
		t.Errorf("%d of %d guesses over two processes were evaluated, want 1 to %d", n, guesses, freeAttempts)
	}
	if evaluated.Load()+refused.Load() != guesses {
		t.Errorf("evaluated %d + refused %d ≠ %d", evaluated.Load(), refused.Load(), guesses)
	}

	resp, err := signInOver(procs[0].URL, "victim@example.com", "correct horse battery", "203.0.113.7")
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right password from the attacking address: %v %v, want 429", resp.StatusCode, err)
	}
	for i, p := range procs {
		resp, err := signInOver(p.URL, "victim@example.com", "correct horse battery", fmt.Sprintf("198.51.100.%d", 10+i))
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the owner from a clean address through process %d: %v %v, want 303", i+1, resp.StatusCode, err)
		}
	}
}
