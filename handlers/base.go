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
}

// basePage builds what every page needs: who is signed in, their navigation,
// flashes. It reads only the request context, so error pages can use it too.
func basePage(r *http.Request, title string) layout.Base {
	b := layout.Base{Title: title, Flashes: flashesFrom(r.Context())}
	a, ok := ActorFrom(r.Context())
	if !ok || a.Kind != store.ActorPerson {
		return b
	}
	p, ok := personFrom(r.Context())
	if !ok { // an actor alone names a person by their email
		p = store.Person{Email: a.Name}
	}
	b.User = &layout.User{Name: p.Name, Email: p.Email, Role: string(a.Role)}
	active := activeNav(r.URL.Path)
	for _, n := range navigation {
		if len(n.roles) == 0 || a.Is(n.roles...) {
			b.Nav = append(b.Nav, layout.NavItem{Label: n.label, Href: n.href, Active: n.href == active})
		}
	}
	return b
}

// activeNav picks the navigation entry with the longest prefix of path.
func activeNav(path string) string {
	best := "/"
	for _, n := range navigation {
		if n.href != "/" && (path == n.href || strings.HasPrefix(path, n.href+"/")) && len(n.href) > len(best) {
			best = n.href
		}
	}
	return best
}

// mustActor returns the authenticated actor; routes behind auth always have one.
func mustActor(r *http.Request) store.Actor {
	a, _ := ActorFrom(r.Context())
	return a
}
