package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// mainPage is a page people use daily, and the name of its screenshots.
type mainPage struct{ name, path string }

func mainPages(fx a11yFixture, planID, htmlBlock string) []mainPage {
	course := url.PathEscape(fx.values["course"])
	return []mainPage{
		{"dashboard", "/"},
		{"plans", "/plans"},
		{"plan", "/plans/" + planID},
		{"locks", "/locks"},
		{"audit", "/audit"},
		{"enrollments", "/enrollments"},
		{"learners", "/enrollments/courses/" + course},
		{"courses", "/courses"},
		{"course", "/courses/" + course + "?block=" + url.QueryEscape(htmlBlock)},
		{"history", "/courses/" + course + "/history"},
		{"people", "/people"},
		{"clients", "/clients"},
		{"account", "/account"},
	}
}

func TestBrowser_MainPagesFitAPhoneAndLeadBackByBreadcrumbs(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	fx := newA11yFixture(t, s, st)
	ctx := context.Background()
	// A plan with a page of licenses, and a held lock, so the widest tables
	// and the banner are on show.
	api := newAPIClient(t, s, "Globex", "admin")
	planID := api.createPlan(t, 150000)
	var list []string
	for i := range 60 {
		list = append(list, fmt.Sprintf("employee.with.a.long.name.%02d@globex-corporation.example", i))
	}
	statusURL, err := api.assignUntilAccepted(planID, strings.Join(list, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if j, err := api.waitJob(statusURL, time.Minute); err != nil || j["status"] != "succeeded" {
		t.Fatalf("assignment: %v %v", j, err)
	}
	// The course page shows an HTML block, whose editor has the most to show.
	outline, err := st.CourseOutline(ctx, fx.values["course"], store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	var htmlBlock string
	for id, b := range outline.Blocks {
		if b.Type == store.BlockHTML && !b.Deleted {
			htmlBlock = id
			break
		}
	}
	holder := store.Actor{Kind: store.ActorClient, ID: "crm", Name: "CRM nightly sync"}
	if _, err := st.AcquireLock(ctx, store.PlanLockName(fx.values["id"]), holder, "assign 1200 licenses", 10*time.Minute); err != nil {
		t.Fatal(err)
	}

	for _, size := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"desktop", 1366, 900}} {
		b := newBrowser(t)
		if err := chromedp.Do(b, chromedp.EmulateViewport(size.width, size.height)); err != nil {
			t.Fatal(err)
		}
		if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(b, chromedp.WaitVisible(testid("user-menu"))); err != nil {
			t.Fatal(err)
		}
		for _, p := range mainPages(fx, planID, htmlBlock) {
			if err := chromedp.Do(b, chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			// Fragments the page loads itself (courses, instances) settle first.
			storetest.WaitWithin(t, 15*time.Second, p.path+" loads its fragments", func() bool {
				return evalBool(b, `document.readyState === "complete" && !Array.from(document.querySelectorAll("p.muted")).some(p => p.textContent.startsWith("Loading"))`)
			})
			if size.name == "phone" {
				width := evalString(b, `String(document.documentElement.scrollWidth)`)
				if width != fmt.Sprint(size.width) {
					t.Errorf("%s is %s px wide at %d px: it scrolls sideways (widest: %s)", p.path, width, size.width,
						evalString(b, `(() => { let w = null; for (const el of document.querySelectorAll("main *")) {
							const r = el.getBoundingClientRect(); if (r.right > innerWidth + 1 && (!w || r.right > w.r)) w = {r: r.right, d: el.tagName + "." + el.className}; }
							return w ? w.d + " to " + Math.round(w.r) : "none"; })()`))
				}
			}
			if p.name != "dashboard" && !evalBool(b, `document.querySelector('[data-testid="breadcrumbs"] a[href="/"]') !== null`) {
				t.Errorf("%s has no breadcrumbs back to the dashboard", p.path)
			}
			png, err := chromedp.Run(b, chromedp.CaptureScreenshot()) // what the screen shows, as a person first sees the page
			if err != nil {
				t.Fatal(err)
			}
			saveScreenshot(t, "page-"+p.name+"-"+size.name+".png", png)
			if size.name == "desktop" {
				followLastCrumb(t, b, p.path)
			}
		}
	}
}

// followLastCrumb clicks the breadcrumb nearest the page (the page's parent)
// and sees the browser arrive where it points.
func followLastCrumb(t *testing.T, b context.Context, from string) {
	t.Helper()
	const last = `[...document.querySelectorAll('[data-testid="breadcrumbs"] a')].pop()`
	href := evalString(b, `(`+last+` || {getAttribute: () => ""}).getAttribute("href")`)
	if href == "" {
		return // the dashboard: nothing above it
	}
	if !evalBool(b, `(`+last+`.click(), true)`) {
		t.Fatalf("%s: could not click the breadcrumb to %s", from, href)
	}
	storetest.WaitWithin(t, 15*time.Second, from+"'s breadcrumb leads to "+href, func() bool {
		return evalString(b, `location.pathname + location.search`) == href && evalBool(b, `document.readyState === "complete"`)
	})
}
