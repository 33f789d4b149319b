package handlers

import (
	"net/http"
	"strings"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/layout"
)

// navEntry is one item of the top navigation, shown to the listed roles
// (every signed-in person when roles is empty).
type navEntry struct {
	label, href string
	roles       []store.Role
}

var navigation = []navEntry{
	{"Dashboard", "/", nil},
	{"Plans", "/plans", []store.Role{store.RoleAdmin, store.RoleSupport}},
	{"Courses", "/courses", []store.Role{store.RoleAuthor, store.RoleSupport, store.RoleAdmin}},
	{"Enrollments", "/enrollments", []store.Role{store.RoleAdmin, store.RoleSupport}},
	{"Locks", "/locks", []store.Role{store.RoleAdmin, store.RoleSupport}},
	{"Audit log", "/audit", []store.Role{store.RoleAdmin, store.RoleSupport}},
	{"People", "/people", []store.Role{store.RoleAdmin}},
	{"API clients", "/clients", []store.Role{store.RoleAdmin}},
}

// basePage builds what every page needs: who is signed in, their navigation,
// flashes. It reads only the request context, so error pages can use it too.
func basePage(r *http.Request, title string) layout.Base {
	b := layout.Base{Title: title, Flashes: flashesFrom(r.Context())}
	a, ok := ActorFrom(r.Context())
	if !ok || a.Kind != store.ActorPerson {
		return b
	}
	p, signedIn := personFrom(r.Context())
	if !signedIn { // an actor alone names a person by their email
		p = store.Person{Email: a.Name}
	}
	b.User = &layout.User{Name: p.Name, Email: p.Email, Role: string(a.Role)}
	active, ok := activeNav(r.URL.Path)
	for _, n := range navigation {
		if len(n.roles) == 0 || a.Is(n.roles...) {
			b.Nav = append(b.Nav, layout.NavItem{Label: n.label, Href: n.href, Active: ok && n.href == active.href})
		}
	}
	// The breadcrumbs start at the page's area; pages deeper in it add
	// their own steps. The dashboard is where they all begin.
	switch {
	case ok && active.href != "/":
		b.Crumbs = []layout.Crumb{{Label: active.label, Href: active.href}}
	case !ok && title != "":
		b.Crumbs = []layout.Crumb{{Label: title}}
	}
	return b
}

// activeNav picks the navigation entry with the longest prefix of path: the
// dashboard only for "/" itself, none for pages outside the navigation
// (the account page).
func activeNav(path string) (navEntry, bool) {
	best, found := navEntry{}, false
	for _, n := range navigation {
		matches := path == n.href || (n.href != "/" && strings.HasPrefix(path, n.href+"/"))
		if matches && len(n.href) > len(best.href) {
			best, found = n, true
		}
	}
	return best, found
}

// withCrumbs adds the steps below a page's area to its breadcrumbs.
func withCrumbs(b layout.Base, crumbs ...layout.Crumb) layout.Base {
	b.Crumbs = append(b.Crumbs[:len(b.Crumbs):len(b.Crumbs)], crumbs...)
	return b
}

// mustActor returns the authenticated actor; routes behind auth always have one.
func mustActor(r *http.Request) store.Actor {
	a, _ := ActorFrom(r.Context())
	return a
}
