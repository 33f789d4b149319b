package auth_test

import (
	"testing"

	"github.com/seatplan/seatplan/views/auth"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

func TestLoginPage_Form(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, auth.LoginPage(auth.LoginView{
		Base:  layout.Base{Title: "Sign in"},
		Email: "ada@example.com",
		Next:  "/plans/7",
	}))
	viewtest.AssertCSPSafe(t, doc)

	form := viewtest.ByTestID(doc, "login-form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/login" {
		t.Errorf("form = %s %s, want post /login", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	email := form.Find(`input[name="email"]`)
	if email.AttrOr("value", "") != "ada@example.com" {
		t.Errorf("email value = %q", email.AttrOr("value", ""))
	}
	for _, attr := range []string{"required", "autocomplete"} {
		if _, ok := email.Attr(attr); !ok {
			t.Errorf("email field lacks %s", attr)
		}
	}
	// With the email kept from a refused attempt, the password is what to
	// type next, so it takes the focus.
	password := form.Find(`input[name="password"]`)
	if _, ok := password.Attr("autofocus"); !ok {
		t.Error("the password field lacks autofocus when the email is filled in")
	}
	if _, ok := email.Attr("autofocus"); ok {
		t.Error("the filled-in email field keeps autofocus")
	}
	blank := viewtest.Render(t, auth.LoginPage(auth.LoginView{}))
	if _, ok := blank.Find(`input[name="email"]`).Attr("autofocus"); !ok {
		t.Error("an empty sign-in form does not focus the email field")
	}
	if password.AttrOr("type", "") != "password" || password.AttrOr("autocomplete", "") != "current-password" {
		t.Errorf("password field = %v", password.Nodes)
	}
	if _, hasValue := password.Attr("value"); hasValue {
		t.Error("password field is pre-filled")
	}
	if got := form.Find(`input[type="hidden"][name="next"]`).AttrOr("value", ""); got != "/plans/7" {
		t.Errorf("next = %q", got)
	}
	if viewtest.ByTestID(doc, "login-submit").Closest("form").Length() != 1 {
		t.Error("submit button is not in the form")
	}
}

func TestLoginPage_ErrorShownOnlyWhenSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		view      auth.LoginView
		wantError string
	}{
		{name: "FirstVisit", view: auth.LoginView{}},
		{name: "WrongPassword", view: auth.LoginView{Error: "Wrong email or password."}, wantError: "Wrong email or password."},
		{name: "RateLimitedWithoutMessage", view: auth.LoginView{RateLimited: true}, wantError: "Too many sign-in attempts. Wait a minute, then try again."},
		{name: "RateLimitedWithMessage", view: auth.LoginView{RateLimited: true, Error: "Slow down."}, wantError: "Slow down."},
		{name: "ErrorIsEscaped", view: auth.LoginView{Error: `<script>alert(1)</script>`}, wantError: `<script>alert(1)</script>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := viewtest.Render(t, auth.LoginPage(tt.view))
			viewtest.AssertCSPSafe(t, doc)
			box := viewtest.ByTestID(doc, "login-error")
			if tt.wantError == "" {
				if box.Length() != 0 {
					t.Errorf("error box shown: %q", box.Text())
				}
				return
			}
			if got := box.Text(); got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
		})
	}
}

func TestLoginPage_EscapesEnteredEmail(t *testing.T) {
	t.Parallel()
	email := `"><script>alert(1)</script>`
	doc := viewtest.Render(t, auth.LoginPage(auth.LoginView{Email: email, Next: email}))
	viewtest.AssertCSPSafe(t, doc)
	if got := doc.Find(`input[name="email"]`).AttrOr("value", ""); got != email {
		t.Errorf("email value = %q, want %q", got, email)
	}
}
