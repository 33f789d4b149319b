// Package layout is the frame every page shares: document head, top bar and
// navigation, flash messages and the "Blocked by another process" banner,
// plus small pieces pages reuse (pagination, empty states, timestamps).
package layout

import (
	"strconv"
	"strings"
	"time"
)

// Base is what every full page needs, built once per request by the caller.
type Base struct {
	Title   string
	User    *User     // nil on anonymous pages
	Nav     []NavItem // already filtered by role
	Flashes []Flash
	Blocked *LockBanner // shown at the top of the main area when set
	// Crumbs is the way from the dashboard to this page, this page last.
	Crumbs []Crumb
}

// Crumb is one step of the breadcrumbs; the last one, the page itself,
// needs no Href.
type Crumb struct {
	Label, Href string
}

// User is the signed-in person as the top bar shows them.
type User struct {
	Name, Email, Role string
}

// displayName falls back to the email for people without a name on file.
func (u User) displayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

type NavItem struct {
	Label, Href string
	Active      bool
}

// Flash kinds.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
)

type Flash struct {
	Kind    string // FlashSuccess, FlashError or FlashInfo
	Message string
}

func (f Flash) class() string {
	switch f.Kind {
	case FlashSuccess, FlashError:
		return "flash flash-" + f.Kind
	default:
		return "flash flash-info"
	}
}

// role makes screen readers interrupt for errors only.
func (f Flash) role() string {
	if f.Kind == FlashError {
		return "alert"
	}
	return "status"
}

// LockBanner describes a held plan or course lock that stops the work on a page.
type LockBanner struct {
	LockName, Holder, Purpose string
	AcquiredAt, ExpiresAt     time.Time
	// ExpiresInSeconds is the remaining lease, rounded up, as of rendering.
	// The caller computes it because views do not read the clock.
	ExpiresInSeconds int
	// Yours is set when the viewer holds the lock (a job they started): the
	// page is busy with their own work, not blocked by someone else's.
	Yours bool
	// PollURL answers the banner afresh (or its absence once the lock is
	// free); the banner polls it, so it follows the lock instead of a clock.
	PollURL string
	// Job is the progress of the holder's background job, when one runs.
	Job *LockJob
}

// LockJob is how far the lock holder's background job has got.
type LockJob struct {
	Done, Total int64
	// Interrupted: its process stopped and a retry is due.
	Interrupted bool
}

func (j LockJob) percent() string {
	if j.Total <= 0 {
		return "0"
	}
	return strconv.FormatInt(j.Done*100/j.Total, 10)
}

// The countdown texts are handed to static/js/app.js in data- attributes, so
// the server's first rendering and the script's updates read the same.
const (
	lockCountdownFormat  = "Lock expires in not more than {s} seconds"
	lockCountdownExpired = "Lock expired — checking again"
)

// lockPollInterval is how often a shown banner asks whether its lock is
// still held.
const lockPollInterval = "2s"

func (l LockBanner) countdownText() string {
	if l.ExpiresInSeconds <= 0 {
		return lockCountdownExpired
	}
	return strings.Replace(lockCountdownFormat, "{s}", strconv.Itoa(l.ExpiresInSeconds), 1)
}

// Pager links to the neighbouring pages of a list; an empty URL hides (or,
// for a counted list, disables) its link.
type Pager struct {
	PrevURL, NextURL string
	Summary          string // e.g. "Showing 50 entries"
	// Total, when set, counts the whole list and From..To (1-based) are the
	// rows shown: the pager reads "51–100 of 149 ‹ ›", for lists in an order
	// of their own (by name, by id). Without it, the links read Newer and
	// Older, for newest-first lists.
	From, To, Total int
}

func (p Pager) empty() bool {
	return p.PrevURL == "" && p.NextURL == "" && p.Summary == "" && p.Total == 0
}

func (p Pager) rangeText() string {
	if p.To < p.From {
		return "0 of " + Number(p.Total)
	}
	return Number(p.From) + "–" + Number(p.To) + " of " + Number(p.Total)
}

// htmxConfig turns off what the CSP (default-src 'self') would block anyway:
// htmx's injected indicator styles, eval and scripts inside swapped content.
// It also swaps 409 (blocked by another process) and 422 (invalid input)
// responses, which htmx otherwise discards, so a refused submit can show
// its banner or form errors.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"409|422","swap":true},{"code":"...","swap":false,"error":true}]}`

func documentTitle(title string) string {
	if title == "" {
		return "Seatplan"
	}
	return title + " · Seatplan"
}

// timestampLayout is a moment as pages show it; exactLayout to the second,
// on hover.
const (
	timestampLayout = "2006-01-02 15:04 UTC"
	exactLayout     = "2006-01-02 15:04:05 UTC"
)
