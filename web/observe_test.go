package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// loggedServer is a server whose JSON log lines (info and up) the test reads.
func loggedServer(t *testing.T) (*bundle, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	return setup(t, setupOpts{Logs: logs}), logs
}

// linesOf are the log lines naming request id; raw lines, to catch a key written twice.
func (b *syncBuffer) linesOf(id string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, `"`+id+`"`) {
			out = append(out, line)
		}
	}
	return out
}

func TestRequestID_KeptFromTheClientIntoTheAnswerTheErrorBodyAndEveryLogLine(t *testing.T) {
	t.Parallel()
	b, logs := loggedServer(t)
	const id = "lb-7f3a9c.42:edge"
	req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/plans", nil) // no token: 401
	req.Header.Set("X-Request-Id", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Request-Id") != id || body["request_id"] != id {
		t.Fatalf("answer %d, X-Request-Id %q, body %v", resp.StatusCode, resp.Header.Get("X-Request-Id"), body)
	}
	waitForLine(t, logs, id, `"msg":"request"`)
}

func TestRequestID_AnInsaneOneIsReplacedAndTheReplacementLeadsFromTheErrorToItsLogLines(t *testing.T) {
	t.Parallel()
	b, logs := loggedServer(t)
	for _, sent := range []string{"", "two words", `x"},"level":"ERROR`, strings.Repeat("a", 129)} {
		req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/nothing", nil)
		req.Header.Set("X-Request-Id", sent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			RequestID string `json:"request_id"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if got == "" || got == sent || body.RequestID != got || !saneRequestID(got) {
			t.Errorf("sent %q: header %q, body %q", sent, got, body.RequestID)
			continue
		}
		waitForLine(t, logs, got, `"status":404`)
	}
}

func TestRequestID_AnInternalErrorNamesItOnThePageAndInBothItsLogLines(t *testing.T) {
	t.Parallel()
	b, logs := loggedServer(t)
	// Sign in first, then take the database away: the page's session lookup fails.
	client := b.browser(t)
	b.person(t, "ops@example.com", store.RoleSupport)
	b.signIn(t, client, "ops@example.com", "correct horse battery")
	b.store.Pool().Close()
	resp := get(t, client, b.srv.URL+"/plans")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	id := resp.Header.Get("X-Request-Id")
	if ref := doc(t, resp).Find(`[data-testid="error-reference"]`).Text(); id == "" || ref != id {
		t.Fatalf("page reference %q, header %q", ref, id)
	}
	failure := waitForLine(t, logs, id, `"msg":"request failed"`)
	waitForLine(t, logs, id, `"msg":"request"`)
	if n := strings.Count(failure, `"request_id"`); n != 1 {
		t.Errorf("the failure line names the request %d times: %s", n, failure)
	}
}

// waitForLine returns the log line naming request id that contains want;
// the access line is written just after the answer.
func waitForLine(t *testing.T, logs *syncBuffer, id, want string) string {
	t.Helper()
	var line string
	storetest.WaitFor(t, "a log line with "+want+" naming request "+id, func() bool {
		for _, l := range logs.linesOf(id) {
			if strings.Contains(l, want) {
				line = l
				return true
			}
		}
		return false
	})
	return line
}

func TestAccessLog_ProbesScrapesAndAssetsAreDebugPagesAreInfo(t *testing.T) {
	t.Parallel()
	// Every level is kept, so each request's line is awaited and its level
	// read: a line not written yet cannot pass for a line not written at all.
	logs := &syncBuffer{}
	b := setup(t, setupOpts{Deps: func(_ *store.Store, d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	want := map[string]string{"/healthz": "DEBUG", "/readyz": "DEBUG", "/static/css/app.css": "DEBUG", "/metrics": "DEBUG", "/login": "INFO"}
	for path := range want {
		resp, err := http.Get(b.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for path, level := range want {
		var got any
		storetest.WaitFor(t, "the access line of "+path, func() bool {
			for _, l := range logs.lines() {
				if l["path"] == path && l["msg"] == "request" {
					got = l["level"]
					return true
				}
			}
			return false
		})
		if got != level {
			t.Errorf("%s logged at %v, want %s", path, got, level)
		}
	}
}

// FuzzRequestID: whatever X-Request-Id a client sends, the answer names the
// request with a sane id (the client's own when it was sane), and its access
// line is one log line that names that id.
func FuzzRequestID(f *testing.F) {
	for _, seed := range []string{"", "abc", "01JF3Q8W2ZK6T9V4N0R7XG5B1M", "lb-1.2:3_4", "a b", "x\ny", "x\r\nSet-Cookie: a=b",
		`"},{"level":"ERROR"`, "é", strings.Repeat("z", 128), strings.Repeat("z", 129), "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sent string) {
		var logs strings.Builder
		logger := slog.New(withRequestIDs(slog.NewTextHandler(&logs, nil)))
		h := observe(logger, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header["X-Request-Id"] = []string{sent}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get("X-Request-Id")
		if !saneRequestID(got) || strings.ContainsAny(got, " \r\n\"\\=") {
			t.Fatalf("sent %q, answered with id %q", sent, got)
		}
		if saneRequestID(sent) != (got == sent) {
			t.Fatalf("sent %q (sane: %v), answered with id %q", sent, saneRequestID(sent), got)
		}
		if line := logs.String(); strings.Count(line, "\n") != 1 || !strings.Contains(line, " request_id="+got+"\n") && !strings.Contains(line, " request_id="+got+" ") {
			t.Fatalf("access line for %q: %q", sent, line)
		}
	})
}
