// Package errorpage renders the page people see when a request fails.
package errorpage

import (
	"net/http"

	"github.com/seatplan/seatplan/views/layout"
)

// ErrorView is an error page. Title overrides the heading chosen for Status;
// Message is already safe to show (no internal details). Reference is the
// request's id, which a person quotes to support and support finds in the
// logs.
type ErrorView struct {
	Base      layout.Base
	Status    int
	Title     string
	Message   string
	Reference string
}

// friendlyHeadings replace the terse status texts people see most often.
var friendlyHeadings = map[int]string{
	http.StatusForbidden:           "You don't have access to this page",
	http.StatusNotFound:            "Page not found",
	http.StatusMethodNotAllowed:    "This page does not take that request",
	http.StatusConflict:            "This change could not be made",
	http.StatusTooManyRequests:     "Too many requests",
	http.StatusInternalServerError: "Something went wrong",
	http.StatusServiceUnavailable:  "Seatplan is briefly unavailable",
}

func (v ErrorView) heading() string {
	if v.Title != "" {
		return v.Title
	}
	if h, ok := friendlyHeadings[v.Status]; ok {
		return h
	}
	if h := http.StatusText(v.Status); h != "" {
		return h
	}
	return friendlyHeadings[http.StatusInternalServerError]
}
