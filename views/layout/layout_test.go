package layout_test

import (
	"context"
	"io"
	"strings"
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

func lockBanner() layout.LockBanner {
	return layout.LockBanner{
		LockName: "plan:42", Holder: "grace@example.com", Purpose: "assign 1,200 licenses",
		AcquiredAt: acquired, ExpiresAt: expires, ExpiresInSeconds: 90,
	}
}

func fullBase() layout.Base {
	banner := lockBanner()
	return layout.Base{
		Title: "Plans",
		User:  &layout.User{Name: "Ada Admin", Email: "ada@example.com", Role: "admin"},
		Nav: []layout.NavItem{
			{Label: "Dashboard", Href: "/"},
			{Label: "Plans", Href: "/plans", Active: true},
			{Label: "Audit", Href: "/audit"},
		},
		Flashes: []layout.Flash{{Kind: layout.FlashSuccess, Message: "Saved."}},
		Blocked: &banner,
	}
}

// pageWithContent renders Page around a marker child, as a page would.
func pageWithContent(b layout.Base) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		content := templ.Raw(`<p data-testid="page-content">content</p>`)
		return layout.Page(b).Render(templ.WithChildren(ctx, content), w)
	})
}

func TestPage_IsCSPSafe(t *testing.T) {
	t.Parallel()
	viewtest.AssertCSPSafe(t, viewtest.Render(t, pageWithContent(fullBase())))
}

func TestPage_RendersChildrenInsideMain(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, pageWithContent(fullBase()))
	if doc.Find(`main#main [data-testid="page-content"]`).Length() != 1 {
		t.Error("page content is not inside <main id=main>")
	}
	if got := doc.Find("title").Text(); got != "Plans · Seatplan" {
		t.Errorf("title = %q", got)
	}
}

func TestPage_LoadsHashedAssets(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, pageWithContent(fullBase()))

	if href, _ := doc.Find(`link[rel="stylesheet"]`).Attr("href"); href != static.Path("css/app.css") {
		t.Errorf("stylesheet href = %q, want %q", href, static.Path("css/app.css"))
	}
	for _, name := range []string{"vendor/htmx.min.js", "js/app.js"} {
		script := doc.Find(`script[src="` + static.Path(name) + `"]`)
		if script.Length() != 1 {
			t.Errorf("no script with src %q", static.Path(name))
			continue
		}
		if _, deferred := script.Attr("defer"); !deferred {
			t.Errorf("script %s is not deferred", name)
		}
	}
	for _, url := range []string{static.Path("css/app.css"), static.Path("js/app.js")} {
		if strings.Count(url, ".") < 2 {
			t.Errorf("asset URL %q carries no content hash", url)
		}
	}
	config, _ := doc.Find(`meta[name="htmx-config"]`).Attr("content")
	if !strings.Contains(config, `"includeIndicatorStyles":false`) {
		t.Errorf("htmx-config = %q, want indicator styles off", config)
	}
}

func TestPage_MarksOnlyTheActiveNavItem(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, pageWithContent(fullBase()))

	items := viewtest.ByTestID(doc, "nav-item")
	if items.Length() != 3 {
		t.Fatalf("%d nav items, want 3", items.Length())
	}
	current := doc.Find(`[aria-current]`)
	if current.Length() != 1 || current.Text() != "Plans" {
		t.Fatalf("aria-current on %d elements (%q), want only Plans", current.Length(), current.Text())
	}
	if v, _ := current.Attr("aria-current"); v != "page" {
		t.Errorf(`aria-current = %q, want "page"`, v)
	}
}

func TestPage_SignedInShowsUserAndLogoutForm(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, pageWithContent(fullBase()))

	if got := viewtest.ByTestID(doc, "user-name").Text(); got != "Ada Admin" {
		t.Errorf("user name = %q", got)
	}
	if got := viewtest.ByTestID(doc, "user-role").Text(); got != "admin" {
		t.Errorf("user role = %q", got)
	}
	form := viewtest.ByTestID(doc, "logout").Closest("form")
	method, _ := form.Attr("method")
	action, _ := form.Attr("action")
	if method != "post" || action != "/logout" {
		t.Errorf("logout form = %s %s, want post /logout", method, action)
	}
}

func TestPage_AnonymousHasNoUserMenuOrNav(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, pageWithContent(layout.Base{Title: "Sign in"}))
	for _, id := range []string{"user-menu", "logout", "nav", "blocked-banner", "flash"} {
		if viewtest.ByTestID(doc, id).Length() != 0 {
			t.Errorf("anonymous page shows %s", id)
		}
	}
	if doc.Find(".brand").Text() == "" {
		t.Error("product name missing")
	}
}

func TestPage_ShowsBannerOnlyWhenBlocked(t *testing.T) {
	t.Parallel()
	blocked := fullBase()
	free := fullBase()
	free.Blocked = nil

	if viewtest.ByTestID(viewtest.Render(t, pageWithContent(blocked)), "blocked-banner").Length() != 1 {
		t.Error("blocked page shows no banner")
	}
	doc := viewtest.Render(t, pageWithContent(free))
	if viewtest.ByTestID(doc, "blocked-banner").Length() != 0 {
		t.Error("free page shows a banner")
	}
	// The empty slot stays, so an htmx response can swap the banner in.
	if doc.Find("#blocked-banner").Length() != 1 {
		t.Error("no #blocked-banner slot on a free page")
	}
}

func TestBlockedBanner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		secondsLeft   int
		wantCountdown string
	}{
		{"Running", 90, "Lock expires in not more than 90 seconds"},
		{"Expired", 0, "Lock expired — checking again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := lockBanner()
			l.ExpiresInSeconds = tt.secondsLeft
			doc := viewtest.Render(t, layout.BlockedBanner(l))

			banner := viewtest.ByTestID(doc, "blocked-banner")
			if role, _ := banner.Attr("role"); role != "alert" {
				t.Errorf("role = %q, want alert", role)
			}
			if got := banner.Find("h2").Text(); got != "Blocked by another process" {
				t.Errorf("heading = %q", got)
			}
			if got := viewtest.ByTestID(doc, "lock-holder").Text(); got != l.Holder {
				t.Errorf("holder = %q, want %q", got, l.Holder)
			}
			if got := viewtest.ByTestID(doc, "lock-purpose").Text(); got != l.Purpose {
				t.Errorf("purpose = %q, want %q", got, l.Purpose)
			}
			countdown := viewtest.ByTestID(doc, "lock-countdown")
			if until, _ := countdown.Attr("data-countdown-until"); until != "2025-03-04T10:16:30Z" {
				t.Errorf("data-countdown-until = %q", until)
			}
			if got := countdown.Text(); got != tt.wantCountdown {
				t.Errorf("countdown = %q, want %q", got, tt.wantCountdown)
			}
		})
	}
}

func TestBlockedBanner_YourOwnLockReadsAsYourWork(t *testing.T) {
	t.Parallel()
	l := lockBanner()
	l.Yours = true
	banner := viewtest.ByTestID(viewtest.Render(t, layout.BlockedBanner(l)), "blocked-banner")
	if h := banner.Find("h2").Text(); h != "Your change is still running" {
		t.Errorf("heading = %q", h)
	}
	if !banner.HasClass("banner-yours") || !strings.Contains(banner.Text(), l.Holder+" (you) is working here") {
		t.Errorf("banner %q, class %q", banner.Text(), banner.AttrOr("class", ""))
	}
}

func TestFlashList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, wantClass, wantRole string
	}{
		{layout.FlashSuccess, "flash-success", "status"},
		{layout.FlashError, "flash-error", "alert"},
		{layout.FlashInfo, "flash-info", "status"},
		{"unknown", "flash-info", "status"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			doc := viewtest.Render(t, layout.FlashList([]layout.Flash{{Kind: tt.kind, Message: "Done."}}))
			flash := viewtest.ByTestID(doc, "flash")
			if !flash.HasClass(tt.wantClass) {
				t.Errorf("class = %q, want %s", flash.AttrOr("class", ""), tt.wantClass)
			}
			if role := flash.AttrOr("role", ""); role != tt.wantRole {
				t.Errorf("role = %q, want %q", role, tt.wantRole)
			}
		})
	}
}

func TestFlashList_IsAnOutOfBandSlot(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, layout.FlashList(nil))
	list := doc.Find("#flashes")
	if list.Length() != 1 || list.AttrOr("hx-swap-oob", "") != "true" {
		t.Errorf("want one #flashes with hx-swap-oob=true, got %d", list.Length())
	}
}

func TestPage_EscapesUserText(t *testing.T) {
	t.Parallel()
	b := fullBase()
	b.Title = hostile
	b.User.Name = hostile
	b.Nav[0].Label = hostile
	b.Flashes[0].Message = hostile
	b.Blocked.Holder = hostile
	b.Blocked.Purpose = hostile
	doc := viewtest.Render(t, pageWithContent(b))

	viewtest.AssertCSPSafe(t, doc) // an unescaped <script> would have no src
	for _, id := range []string{"flash", "user-name", "lock-holder", "lock-purpose"} {
		if got := viewtest.ByTestID(doc, id).First().Text(); got != hostile {
			t.Errorf("%s text = %q, want it shown literally", id, got)
		}
	}
}

func TestPage_NavRefusesJavaScriptURLs(t *testing.T) {
	t.Parallel()
	b := fullBase()
	b.Nav[0].Href = "javascript:alert(1)"
	viewtest.AssertCSPSafe(t, viewtest.Render(t, pageWithContent(b)))
}

func TestPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		pager             layout.Pager
		wantNav, wantPrev bool
		wantNext          bool
	}{
		{name: "Empty", pager: layout.Pager{}},
		{name: "FirstPage", pager: layout.Pager{NextURL: "/audit?before=9"}, wantNav: true, wantNext: true},
		{name: "LastPage", pager: layout.Pager{PrevURL: "/audit"}, wantNav: true, wantPrev: true},
		{name: "Middle", pager: layout.Pager{PrevURL: "/audit", NextURL: "/audit?before=9"}, wantNav: true, wantPrev: true, wantNext: true},
		{name: "SummaryOnly", pager: layout.Pager{Summary: "3 entries"}, wantNav: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := viewtest.Render(t, layout.Pagination(tt.pager))
			checks := []struct {
				id   string
				want bool
				href string
			}{
				{"pagination", tt.wantNav, ""},
				{"prev-page", tt.wantPrev, tt.pager.PrevURL},
				{"next-page", tt.wantNext, tt.pager.NextURL},
			}
			for _, c := range checks {
				el := viewtest.ByTestID(doc, c.id)
				if got := el.Length() == 1; got != c.want {
					t.Errorf("%s shown = %v, want %v", c.id, got, c.want)
				}
				if c.want && c.href != "" && el.AttrOr("href", "") != c.href {
					t.Errorf("%s href = %q, want %q", c.id, el.AttrOr("href", ""), c.href)
				}
			}
		})
	}
}

func TestEmptyState(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, layout.EmptyState("No plans yet", hostile))
	state := viewtest.ByTestID(doc, "empty-state")
	if !strings.Contains(state.Text(), "No plans yet") || !strings.Contains(state.Text(), hostile) {
		t.Errorf("empty state text = %q", state.Text())
	}
	viewtest.AssertCSPSafe(t, doc)
}

func TestTimestamp_ShowsUTCToTheMinute(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CET", 3600)
	doc := viewtest.Render(t, layout.Timestamp(time.Date(2025, 3, 4, 11, 15, 42, 0, berlin)))
	el := doc.Find("time")
	if got := el.AttrOr("datetime", ""); got != "2025-03-04T10:15:42Z" {
		t.Errorf("datetime = %q", got)
	}
	if got := el.Text(); got != "2025-03-04 10:15 UTC" {
		t.Errorf("text = %q", got)
	}
}
