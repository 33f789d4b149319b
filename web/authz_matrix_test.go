package web

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
)

// identity is who makes a request in the authorization matrix.
type identity string

const (
	anonymous     identity = "anonymous"
	adminPerson   identity = "admin"
	authorPerson  identity = "author"
	supportPerson identity = "support"
	adminClient   identity = "admin client"
	authorClient  identity = "author client"
	supportClient identity = "support client"
)

var identities = []identity{anonymous, adminPerson, authorPerson, supportPerson, adminClient, authorClient, supportClient}

// Who each route admits. A route in routes.go without a line here fails
// the test, so every new route states its rule. public routes take anyone:
// they must have no guard at all (their own answers, such as a wrong
// password's 401, are not refusals of the caller).
var (
	public       = []identity{}
	people       = []identity{adminPerson, authorPerson, supportPerson}
	staffPeople  = []identity{adminPerson, supportPerson}
	adminOnly    = []identity{adminPerson}
	courseReader = []identity{adminPerson, authorPerson, supportPerson}
	courseEditor = []identity{adminPerson, authorPerson}
	courseUndoer = []identity{adminPerson, authorPerson, supportPerson}
	clients      = []identity{adminClient, authorClient, supportClient}
	staffClients = []identity{adminClient, supportClient}
	adminClients = []identity{adminClient}
	courseAPIRd  = []identity{adminClient, authorClient, supportClient}
	courseAPIEd  = []identity{adminClient, authorClient}
	courseAPIUn  = []identity{adminClient, authorClient, supportClient}
)

var roleMatrix = map[string][]identity{
	"GET /healthz":                         public,
	"GET /readyz":                          public,
	"GET /metrics":                         public, // loopback, or the metrics token: its own answer, not a role
	"GET /api/v1/openapi.json":             public,
	"GET /static/":                         public,
	"GET /login":                           public,
	"POST /login":                          public,
	"POST /oauth/token":                    public,
	"POST /api/v1/activations":             public,
	"GET /api/v1/activations/{id}/license": public,
	"GET /api/v1/license-signing-key":      public,
	"/":                                    public,

	"POST /logout":           people,
	"GET /account":           people,
	"POST /account/password": people,
	"GET /{$}":               people,

	"GET /audit":                                         staffPeople,
	"GET /locks":                                         staffPeople,
	"POST /locks/{name}/release":                         staffPeople,
	"GET /plans":                                         staffPeople,
	"GET /plans/{id}":                                    staffPeople,
	"POST /plans/{id}":                                   staffPeople, // plan terms
	"GET /plans/{id}/licenses.csv":                       staffPeople,
	"GET /plans/{id}/jobs/{job}":                         staffPeople,
	"GET /plans/{id}/lock":                               staffPeople,
	"GET /people":                                        adminOnly,
	"POST /people":                                       adminOnly,
	"POST /people/{id}/role":                             adminOnly,
	"POST /people/{id}/deactivate":                       adminOnly,
	"GET /clients":                                       adminOnly,
	"POST /clients":                                      adminOnly,
	"POST /clients/{id}/rotate":                          adminOnly,
	"POST /clients/{id}/revoke":                          adminOnly,
	"GET /courses/{course}/lock":                         courseReader,
	"POST /courses/{course}/staff":                       adminOnly,
	"POST /courses/{course}/staff/remove":                adminOnly,
	"GET /plans/{id}/instances":                          staffPeople,
	"GET /enrollments":                                   staffPeople,
	"GET /enrollments/results/{name}":                    staffPeople,
	"GET /enrollments/courses/{key}":                     staffPeople,
	"GET /plans/{id}/courses":                            staffPeople,
	"POST /plans":                                        adminOnly,
	"POST /plans/{id}/revocations":                       adminOnly,
	"POST /plans/{id}/revocations/preview":               adminOnly,
	"GET /plans/{id}/revocations/previews/{list}":        adminOnly, // a stored preview, read with another column
	"POST /plans/{id}/revocations/list":                  adminOnly,
	"GET /plans/{id}/assignments/new":                    adminOnly, // the upload form again, with a preview's pasted text
	"POST /plans/{id}/assignments/preview":               adminOnly,
	"GET /plans/{id}/assignments/previews/{preview}":     adminOnly, // a stored preview, read with another column
	"POST /plans/{id}/assignments":                       adminOnly,
	"POST /plans/{id}/jobs/{job}/cancel":                 adminOnly,
	"POST /plans/{id}/instances/limit":                   adminOnly,
	"POST /plans/{id}/instances/{activation}/deactivate": adminOnly,
	"POST /enrollments/preview":                          adminOnly,
	"GET /enrollments/previews/{preview}":                adminOnly,
	"POST /enrollments":                                  adminOnly,
	"POST /enrollments/courses/{key}/unenroll":           adminOnly,
	"POST /plans/{id}/courses":                           adminOnly,
	"POST /plans/{id}/courses/{key}/unlink":              adminOnly,
	"POST /plans/{id}/courses/enroll":                    adminOnly,

	"GET /courses":          courseReader,
	"POST /courses":         courseEditor,
	"GET /courses/{course}": courseReader,
	"POST /courses/{course}/blocks/{block}/edit":    courseEditor,
	"POST /courses/{course}/blocks/{block}/add":     courseEditor,
	"POST /courses/{course}/blocks/{block}/reorder": courseEditor,
	"POST /courses/{course}/blocks/{block}/delete":  courseEditor,
	"GET /courses/{course}/blocks/{block}/changes":  courseReader,
	"GET /courses/{course}/history":                 courseReader,
	"POST /courses/{course}/history/{version}/undo": courseUndoer,
	"GET /courses/{course}/operations/{op}":         courseReader,
	"GET /courses/{course}/operations/{op}/undo":    courseUndoer,
	"POST /courses/{course}/operations/{op}/undo":   courseUndoer,
	"GET /courses/{course}/restore":                 courseUndoer,
	"POST /courses/{course}/restore":                courseUndoer,
	"GET /courses/{course}/tree":                    courseReader,

	"GET /api/v1/me":                                       clients,
	"GET /api/v1/jobs/{id}":                                clients, // each job is then shown only to who may see its subject
	"POST /api/v1/jobs/{id}/cancel":                        clients, // then by an admin or whoever started it, among those who may see it
	"POST /api/v1/enrollments":                             adminClients,
	"GET /api/v1/plans":                                    staffClients,
	"POST /api/v1/plans":                                   adminClients,
	"GET /api/v1/plans/{id}":                               staffClients,
	"PATCH /api/v1/plans/{id}":                             staffClients, // plan terms
	"GET /api/v1/plans/{id}/licenses":                      staffClients,
	"POST /api/v1/plans/{id}/assignments":                  adminClients,
	"POST /api/v1/plans/{id}/revocations":                  adminClients,
	"POST /api/v1/courses":                                 courseAPIEd,
	"POST /api/v1/courses/{course}/blocks":                 courseAPIEd,
	"GET /api/v1/courses/{course}/blocks/{block}":          courseAPIRd,
	"PATCH /api/v1/courses/{course}/blocks/{block}":        courseAPIEd,
	"DELETE /api/v1/courses/{course}/blocks/{block}":       courseAPIEd,
	"PUT /api/v1/courses/{course}/blocks/{block}/children": courseAPIEd,
	"POST /api/v1/courses/{course}/blocks/{block}/restore": courseAPIUn,
	"GET /api/v1/courses/{course}/history":                 courseAPIRd,
	"POST /api/v1/courses/{course}/import":                 courseAPIEd,
	"GET /api/v1/courses/{course}/operations":              courseAPIRd,
	"GET /api/v1/courses/{course}/operations/{op}":         courseAPIRd,
	"POST /api/v1/courses/{course}/operations/{op}/revert": courseAPIUn,
	"GET /api/v1/courses/{course}/tree":                    courseAPIRd,
	"POST /api/v1/courses/{course}/revert":                 courseAPIUn,
}

// route is one mux.Handle line of routes.go: its pattern, and the guard
// wrapped around its handler ("" for none).
type route struct{ pattern, guard string }

// routesFromSource reads routes.go, so the matrix covers exactly the routes
// the server has.
func routesFromSource(t *testing.T) []route {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []route
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Handle" {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok {
			t.Fatalf("a route whose pattern is not a literal: %#v", call.Args[0])
		}
		pattern, _ := strconv.Unquote(lit.Value)
		r := route{pattern: pattern}
		if g, ok := call.Args[1].(*ast.CallExpr); ok {
			if id, ok := g.Fun.(*ast.Ident); ok {
				r.guard = id.Name
			}
		}
		routes = append(routes, r)
		return false
	})
	if len(routes) < 20 {
		t.Fatalf("found only %d routes in routes.go", len(routes))
	}
	return routes
}

// unguarded names the wrappers that are not guards.
var unguarded = map[string]bool{"": true, "StripPrefix": true, "quiet": true}

func TestAuthorizationMatrix_EveryRouteAdmitsExactlyItsRoles(t *testing.T) {
	t.Parallel()
	routes := routesFromSource(t)
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	ctx := context.Background()

	// Bearer tokens for the clients, sessions for the people; the author
	// (person and client) is staff of course c1, whose root block is used.
	tokens := map[identity]string{adminClient: b.token}
	for id, role := range map[identity]store.Role{authorClient: store.RoleAuthor, supportClient: store.RoleSupport} {
		tokens[id] = b.as(t, string(id), role).token
	}
	sessions := newSessionMaker(t, b)
	persons := map[identity]store.Person{}
	for id, role := range map[identity]store.Role{adminPerson: store.RoleAdmin, authorPerson: store.RoleAuthor, supportPerson: store.RoleSupport} {
		p, err := b.store.CreatePerson(ctx, store.NewPerson{Email: string(id) + "@example.com", Role: role, Password: "correct horse battery"}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		persons[id] = p
	}
	course, err := b.store.CreateCourse(ctx, "c1", "Course", persons[authorPerson].Actor(), store.SourceUI)
	if err != nil {
		t.Fatal(err)
	}
	authorAPI, err := b.store.ClientByToken(ctx, tokens[authorClient])
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.AddCourseStaff(ctx, "c1", authorAPI, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	planID := b.createPlan(t, 2)
	values := map[string]string{"id": planID, "course": "c1", "block": course.RootBlockID, "key": "c1",
		"job": store.NewID(), "name": "plan:" + planID, "version": store.NewID(), "op": store.NewID(), "activation": store.NewID()}

	seen := map[string]bool{}
	for _, r := range routes {
		seen[r.pattern] = true
		allowed, ok := roleMatrix[r.pattern]
		if !ok {
			t.Errorf("route %q has no rule in the authorization matrix: say who may call it", r.pattern)
			continue
		}
		if len(allowed) == 0 {
			if !unguarded[r.guard] {
				t.Errorf("%q is public in the matrix but routes.go guards it with %s", r.pattern, r.guard)
			}
			continue
		}
		method, path := splitPattern(r.pattern, values)
		for _, who := range identities {
			req, _ := http.NewRequest(method, b.srv.URL+path, nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Accept", "text/html")
			if tok, ok := tokens[who]; ok {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			if p, ok := persons[who]; ok {
				req.AddCookie(sessions(p))
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
				(resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?next="))
			want := contains(allowed, who)
			if refused == want {
				t.Errorf("%s %s as %s: %d, want it %s", method, path, who, resp.StatusCode, map[bool]string{true: "admitted", false: "refused"}[want])
			}
		}
	}
	for pattern := range roleMatrix {
		if !seen[pattern] {
			t.Errorf("the matrix has a rule for %q, which routes.go does not serve", pattern)
		}
	}
}

func contains(list []identity, who identity) bool {
	for _, w := range list {
		if w == who {
			return true
		}
	}
	return false
}

// splitPattern turns "GET /plans/{id}" into a method and a path with the
// wildcards filled in.
func splitPattern(pattern string, values map[string]string) (string, string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	for name, v := range values {
		path = strings.ReplaceAll(path, "{"+name+"}", v)
	}
	return method, path
}

// newSessionMaker returns a function giving a fresh session cookie for a
// person, as signing in would, without a password check per request.
func newSessionMaker(t *testing.T, b *bundle) func(store.Person) *http.Cookie {
	return func(p store.Person) *http.Cookie {
		token, err := b.store.CreateSession(context.Background(), p.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := b.sessions.Begin(rec, httptest.NewRequest("GET", "/", nil), token); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()[0]
	}
}
