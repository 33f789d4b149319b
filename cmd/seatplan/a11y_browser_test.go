package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
)

// repoRoot is where the front-end test tools are installed (make test runs npm ci).
const repoRoot = "../.."

// pageRoutes reads every GET page route from web/routes.go, so a new page is
// checked without anyone adding it here.
func pageRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "web", "routes.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`mux\.Handle\("GET (/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		p := m[1]
		switch {
		case strings.HasPrefix(p, "/api/"), strings.HasPrefix(p, "/static/"), p == "/healthz", p == "/readyz", p == "/metrics", strings.HasSuffix(p, ".csv"):
			continue // not pages
		}
		out = append(out, strings.TrimSuffix(p, "{$}"))
	}
	if len(out) < 10 {
		t.Fatalf("found only %d page routes in web/routes.go: %v", len(out), out)
	}
	return out
}

// fragmentRoutes answer only the piece of a page that htmx swaps in.
var fragmentRoutes = []string{"/plans/{id}/jobs/{job}", "/courses/{course}/blocks/{block}/changes",
	"/plans/{id}/lock", "/courses/{course}/lock"}

// a11yFixture is one of everything a page route can name.
type a11yFixture struct {
	values map[string]string // route wildcard → value
}

func newA11yFixture(t *testing.T, s *server, st *store.Store) a11yFixture {
	t.Helper()
	ctx := context.Background()
	api := newAPIClient(t, s, "Accessibility fixture", "admin")
	planID := api.createPlan(t, 20)
	statusURL, err := api.assignUntilAccepted(planID, "ann@a11y.example\nbob@a11y.example")
	if err != nil {
		t.Fatal(err)
	}
	job, err := api.waitJob(statusURL, time.Minute)
	if err != nil || job["status"] != "succeeded" {
		t.Fatalf("assignment: %v %v", job, err)
	}
	const course = "course-v1:Demo+CS101+2026" // the demo course
	outline, err := st.CourseOutline(ctx, course, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	root := outline.Blocks[outline.Course.RootBlockID]
	if len(root.Children) == 0 {
		t.Fatal("the demo course has no chapters")
	}
	ops, err := st.CourseOperations(ctx, course, store.OperationFilter{Limit: 1}, store.SystemActor)
	if err != nil || len(ops.Operations) == 0 {
		t.Fatalf("the demo course has no operations (%v)", err)
	}
	res, err := st.EnrollAndKeepResult(ctx, []emaillist.Pair{{Index: 0, Email: "ann@a11y.example", Course: course}}, nil, store.SystemActor,
		func([]store.PairResult) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// A preview is its uploader's alone: the admin sees it, other roles its refusal.
	admin, err := st.Authenticate(ctx, "admin@example.com", store.DemoPassword, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	preview, err := st.StageList(ctx, store.StagedList{Purpose: store.ListForAssignment, PlanID: planID,
		ContentType: "text/plain", Body: []byte("cyd@a11y.example\nnot an address\n")}, admin.Actor())
	if err != nil {
		t.Fatal(err)
	}
	return a11yFixture{values: map[string]string{
		"preview": preview.ID, "list": preview.ID,
		"id": planID, "job": job["id"].(string), "course": course, "key": course,
		"block": root.Children[0], "name": res.ID, "op": ops.Operations[0].ID,
	}}
}

var wildcardRE = regexp.MustCompile(`\{([a-z]+)\}`)

// path fills a route's wildcards; a wildcard without a fixture fails the test,
// so a new kind of page gets one.
func (f a11yFixture) path(t *testing.T, route string) string {
	t.Helper()
	return wildcardRE.ReplaceAllStringFunc(route, func(w string) string {
		v, ok := f.values[strings.Trim(w, "{}")]
		if !ok {
			t.Fatalf("route %s: no fixture for %s; add one to newA11yFixture", route, w)
		}
		return url.PathEscape(v)
	})
}

// axeViolation is the part of an axe-core result the test reports.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// runAxe injects axe-core into the loaded page and returns its serious and
// critical violations.
func runAxe(ctx context.Context, axeSource string) ([]axeViolation, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var all []axeViolation
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(v axeViolation) bool { return v.Impact != "serious" && v.Impact != "critical" }), nil
}

// htmlClient signs in over plain HTTP, to fetch pages as the server sends them.
func htmlClient(t *testing.T, base, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {store.DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path == "/login" {
		t.Fatalf("%s could not sign in", email)
	}
	return c
}

func TestBrowser_EveryPageForEveryRoleIsAccessibleAndValidHTML(t *testing.T) {
	t.Parallel()
	axe, err := os.ReadFile(filepath.Join(repoRoot, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is not installed (make test runs npm ci): %v", err)
	}
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	fx := newA11yFixture(t, s, st)
	routes := pageRoutes(t)
	htmlDir := t.TempDir()

	for _, role := range []string{"admin", "author", "support"} {
		email := role + "@example.com"
		b := newBrowser(t)
		if err := signInInBrowser(b, s.URL, email, store.DemoPassword); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(b, chromedp.WaitVisible(testid("user-menu"))); err != nil {
			t.Fatal(err)
		}
		hc := htmlClient(t, s.URL, email)
		for _, route := range append(routes, "/no/such/page") {
			if slices.Contains(fragmentRoutes, route) {
				continue
			}
			path := fx.path(t, route)
			if err := chromedp.Do(b, chromedp.Navigate(s.URL+path), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
				t.Fatalf("%s %s: %v", role, path, err)
			}
			violations, err := runAxe(b, string(axe))
			if err != nil {
				t.Fatalf("%s %s: %v", role, path, err)
			}
			for _, v := range violations {
				var where []string
				for _, n := range v.Nodes {
					where = append(where, fmt.Sprint(n.Target...))
				}
				t.Errorf("%s %s: axe %s (%s): %s at %s", role, path, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
			}
			req, _ := http.NewRequest("GET", s.URL+path, nil)
			req.Header.Set("Accept", "text/html")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s%s.html", role, strings.NewReplacer("/", "_", "%", "_", ":", "_", "+", "_").Replace(path))
			if err := os.WriteFile(filepath.Join(htmlDir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkHTML(t, htmlDir)
}

// checkHTML runs the W3C Nu Html Checker over every page saved in dir. htmx's
// own hx-* attributes are the only errors let through.
func checkHTML(t *testing.T, dir string) {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatal("java is not installed; make test installs it (apt-get install default-jre-headless)")
	}
	jar := filepath.Join(repoRoot, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("vnu-jar is not installed (make test runs npm ci): %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	cmd := exec.Command(java, append([]string{"-jar", jar, "--errors-only", "--format", "json",
		"--filterpattern", `Attribute “hx-[a-z-]+” not allowed on element .*`}, files...)...)
	var out, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &out, &stdout // the JSON report comes on stderr
	cmd.Run()                              // exits 1 when it reports errors; the report says which
	var report struct {
		Messages []struct {
			Type, URL, Message, Extract string
			LastLine                    int `json:"lastLine"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("vnu: %v\n%s%s", err, out.Bytes(), stdout.Bytes())
	}
	for _, m := range report.Messages {
		t.Errorf("html %s:%d: %s (%s)", filepath.Base(m.URL), m.LastLine, m.Message, strings.TrimSpace(m.Extract))
	}
}
