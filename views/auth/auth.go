// Package auth renders the sign-in page.
package auth

import "github.com/seatplan/seatplan/views/layout"

// LoginView is the sign-in form as last submitted: the email is kept, the
// password never is.
type LoginView struct {
	Base        layout.Base
	Email, Next string
	Error       string
	RateLimited bool
}

// errorMessage is what the error box says; a rate-limited attempt gets a
// message even when the caller has none.
func (v LoginView) errorMessage() string {
	if v.Error == "" && v.RateLimited {
		return "Too many sign-in attempts. Wait a minute, then try again."
	}
	return v.Error
}
