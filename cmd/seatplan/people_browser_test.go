package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// textOf reads an element's text by its data-testid.
func textOf(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(testid(id)))
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

func TestBrowser_AdminAddsAPersonAndAnAPIClientThroughThePages(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)

	b := newBrowser(t)
	d := watchDialogs(t, b)
	d.answerNext(true)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	// The dashboard's People card leads to the people page.
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Click(`a[data-testid="dashboard-card"][href="/people"]`), chromedp.WaitVisible(testid("people-table"))); err != nil {
		t.Fatal(err)
	}

	// A refused add marks the field, keeps what was typed, and adds nobody.
	if err := chromedp.Do(b,
		chromedp.SendKeys("#person-email", "grace.example.com"),
		chromedp.SendKeys("#person-name", "Grace Hopper"),
		chromedp.Click(testid("add-person-submit")),
		chromedp.WaitVisible(testid("field-error")),
	); err != nil {
		t.Fatal(err)
	}
	if !evalBool(b, `document.querySelector('#person-email').getAttribute('aria-invalid') === 'true' &&
		document.getElementById(document.querySelector('#person-email').getAttribute('aria-describedby')) !== null &&
		document.querySelector('#person-name').value === 'Grace Hopper' && document.querySelector('#person-email').value === 'grace.example.com'`) {
		t.Error("the refused form does not mark the email field, or lost what was typed")
	}
	if evalBool(b, `document.querySelector('[data-email="grace.example.com"]') !== null`) {
		t.Fatal("a refused add added someone")
	}

	// A good one shows the one-time password once, and it signs them in.
	if err := chromedp.Do(b,
		chromedp.SetValue("#person-email", "grace@example.com"),
		chromedp.SetValue("#person-role", "support"),
		chromedp.Click(testid("add-person-submit")),
		chromedp.WaitVisible(testid("person-added")),
	); err != nil {
		t.Fatal(err)
	}
	password := textOf(t, b, "person-password")
	if !evalBool(b, `document.querySelector('[data-email="grace@example.com"]') !== null`) {
		t.Fatal("the new person is not listed")
	}
	grace := newBrowser(t)
	if err := signInInBrowser(grace, s.URL, "grace@example.com", password); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(grace, chromedp.WaitVisible(testid("user-role"))); err != nil {
		t.Fatalf("the one-time password does not sign them in: %v", err)
	}
	if role := textOf(t, grace, "user-role"); role != "support" {
		t.Errorf("signed in as %q, want support", role)
	}

	// Deactivating asks first, then ends their session at once.
	if err := chromedp.Do(b, chromedp.Click(`[data-email="grace@example.com"] [data-testid="person-deactivate"]`)); err != nil {
		t.Fatal(err)
	}
	if m := d.waitMessage(t, 1); !strings.Contains(m, "grace@example.com") {
		t.Errorf("the deactivation asks %q", m)
	}
	storetest.WaitWithin(t, 15*time.Second, "the person reads as deactivated", func() bool {
		return evalBool(b, `document.querySelector('[data-email="grace@example.com"] [data-testid="person-deactivated"]') !== null`)
	})
	if err := chromedp.Do(grace, chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(`input[name="password"]`)); err != nil {
		t.Fatalf("a deactivated person's session still opens pages: %v", err)
	}

	// An API client: created on its page, the secret shown once works with a
	// stock OAuth client, and rotating it stops the old one.
	if err := chromedp.Do(b, chromedp.Navigate(s.URL+"/clients"),
		chromedp.SendKeys("#client-name", "Nightly course sync"),
		chromedp.SetValue("#client-role", "author"),
		chromedp.Click(testid("add-client-submit")),
		chromedp.WaitVisible(testid("client-secret")),
	); err != nil {
		t.Fatal(err)
	}
	cfg := clientcredentials.Config{ClientID: textOf(t, b, "client-id"), ClientSecret: textOf(t, b, "client-secret-value"), TokenURL: s.URL + "/oauth/token"}
	me := func(c clientcredentials.Config) int {
		resp, err := c.Client(context.Background()).Get(s.URL + "/api/v1/me")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := me(cfg); status != http.StatusOK {
		t.Fatalf("the new client's credentials: GET /api/v1/me = %d", status)
	}
	if err := chromedp.Do(b, chromedp.Navigate(s.URL+"/clients"), chromedp.WaitVisible(testid("clients-table")),
		chromedp.Click(`[data-name="Nightly course sync"] [data-testid="client-rotate"]`)); err != nil {
		t.Fatal(err)
	}
	d.waitMessage(t, 2)
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("client-secret-value"))); err != nil {
		t.Fatal(err)
	}
	rotated := cfg
	rotated.ClientSecret = textOf(t, b, "client-secret-value")
	if rotated.ClientSecret == cfg.ClientSecret {
		t.Fatal("the rotation shows the old secret")
	}
	if status := me(cfg); status == http.StatusOK {
		t.Error("the old secret still works after the rotation")
	}
	if status := me(rotated); status != http.StatusOK {
		t.Errorf("the rotated secret: GET /api/v1/me = %d", status)
	}

	// Course staff: the client goes onto the demo course's staff from its page.
	const course = "course-v1:Demo+CS101+2026"
	if err := chromedp.Do(b, chromedp.Navigate(s.URL+"/courses/"+course), chromedp.WaitVisible(testid("course-staff-add")),
		chromedp.SendKeys("#staff-who", "nobody@nowhere.example"), chromedp.Click(testid("course-staff-add-submit")),
		chromedp.WaitVisible(testid("field-error"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.SetValue("#staff-who", cfg.ClientID), chromedp.Click(testid("course-staff-add-submit")),
		chromedp.WaitVisible(`[data-testid="course-staff-member"][data-name="Nightly course sync"]`)); err != nil {
		t.Fatalf("the client is not on the course staff: %v", err)
	}
}
