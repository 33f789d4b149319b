package layout_test

import (
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/seatplan/seatplan/static"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

var (
	acquired = time.Date(2025, 3, 4, 10, 15, 0, 0, time.UTC)
	expires  = acquired.Add(90 * time.Second)
)

func fullBase() layout.Base {
	return layout.Base{
		Title: "Plans",
		User:  &layout.User{Name: "Ada Admin", Email: "ada@example.com", Role: "admin"},
		Nav: []layout.NavItem{
			{Label: "Dashboard", Href: "/"},
			{Label: "Plans", Href: "/plans", Active: true},
			{Label: "Audit", Href: "/audit"},
		},
		Flashes: []layout.Flash{{Kind: layout.FlashSuccess, Message: "Saved."}},
		Blocked: &layout.LockBanner{
			LockName: "plan:42", Holder: "grace@example.com", Purpose: "assign 1,200 licenses",
			AcquiredAt: acquired, ExpiresAt: expires, ExpiresInSeconds: 90,
		},
	}
}

func page(b layout.Base) templ.Component {
	return templ.ComponentFunc(func(ctx templ.Context, w templ.Writer) error { return nil })
}

func TestPage_IsCSPSafe(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, layout.Page(fullBase()))
	viewtest.AssertCSPSafe(t, doc)
}
