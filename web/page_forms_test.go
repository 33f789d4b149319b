package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/seatplan/seatplan/store"
)

const formType = "application/x-www-form-urlencoded"

func TestLocksPage_ListsHeldLocksAndSupportOrAnAdminReleases(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	ctx := context.Background()
	name := store.PlanLockName("p1")
	holder := store.Actor{Kind: store.ActorClient, ID: "crm", Name: "CRM sync"}
	if _, err := b.store.AcquireLock(ctx, name, holder, "nightly import", time.Minute); err != nil {
		t.Fatal(err)
	}
	browsers := map[store.Role]*http.Client{}
	for email, role := range map[string]store.Role{"sam@example.com": store.RoleSupport, "ada@example.com": store.RoleAdmin, "arthur@example.com": store.RoleAuthor} {
		b.person(t, email, role)
		browsers[role] = b.browser(t)
		b.signIn(t, browsers[role], email, "correct horse battery")
	}
	support, admin, author := browsers[store.RoleSupport], browsers[store.RoleAdmin], browsers[store.RoleAuthor]

	d := doc(t, get(t, support, b.srv.URL+"/locks"))
	row := d.Find(`[data-testid="lock-row"]`)
	// The lock is named by what it guards (its plan is gone here), not by its key.
	if row.Length() != 1 || !strings.Contains(row.Text(), "A deleted plan") || strings.Contains(row.Text(), name) ||
		!strings.Contains(row.Text(), "CRM sync") || !strings.Contains(row.Text(), "nightly import") {
		t.Fatalf("support's lock table: %d rows %q", row.Length(), row.Text())
	}
	if row.Find(`[data-testid="release-lock"]`).Length() != 1 {
		t.Error("support is not offered the Release button")
	}
	d = doc(t, get(t, admin, b.srv.URL+"/locks"))
	if d.Find(`[data-testid="lock-row"]`).Length() != 1 || d.Find(`[data-testid="release-lock"]`).Length() != 1 {
		t.Errorf("admin's lock table: %d rows, %d release buttons, want 1 and 1",
			d.Find(`[data-testid="lock-row"]`).Length(), d.Find(`[data-testid="release-lock"]`).Length())
	}
	// The table's poll names the table it shows: unchanged, it is answered
	// with nothing to redraw; once a lock changes, with the new table.
	poll, _ := d.Find(`[data-testid="lock-table"]`).Attr("hx-get")
	if resp := get(t, admin, b.srv.URL+poll, "HX-Request", "true"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("polling an unchanged table: %d, want 204", resp.StatusCode)
	}
	if _, err := b.store.AcquireLock(ctx, store.PlanLockName("p2"), holder, "second import", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := doc(t, get(t, admin, b.srv.URL+poll, "HX-Request", "true")).Find(`[data-testid="lock-row"]`).Length(); got != 2 {
		t.Errorf("polling after a new lock: %d rows, want 2", got)
	}
	if resp := get(t, author, b.srv.URL+"/locks"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("author on /locks: %d, want 403", resp.StatusCode)
	}

	release := b.srv.URL + "/locks/" + name + "/release"
	if resp := post(t, author, release, formType, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an author releasing a lock: %d, want 403", resp.StatusCode)
	}
	if _, held, err := b.store.HeldLock(ctx, name); err != nil || !held {
		t.Fatalf("after refused releases the lock is held=%v (%v), want still held", held, err)
	}
	resp := post(t, support, release, formType, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/locks" {
		t.Fatalf("support releasing: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, held, err := b.store.HeldLock(ctx, name); err != nil || held {
		t.Errorf("after support released it the lock is held=%v (%v)", held, err)
	}
	if _, err := b.store.AcquireLock(ctx, name, holder, "nightly import", time.Minute); err != nil {
		t.Fatal(err)
	}
	if resp := post(t, admin, release, formType, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an admin releasing: %d, want 303", resp.StatusCode)
	}
}

func TestPlanPage_RevokeFormRevokesAndFreesTheSeat(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	ctx := context.Background()
	id := b.createPlan(t, 2)
	b.waitJob(t, mustAccept(t, b, id, "a@example.com\nb@example.com"))

	resp := post(t, c, b.srv.URL+"/plans/"+id+"/revocations", formType, []byte(url.Values{"email": {"A@example.com"}}.Encode()))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != "/plans/"+id {
		t.Fatalf("revoke: %d to %q", resp.StatusCode, loc)
	}
	if f := doc(t, get(t, c, b.srv.URL+loc)).Find(`[data-testid="flash"]`).Text(); !strings.Contains(f, "Revoked 1 license;") {
		t.Errorf("flash after revoking: %q", f)
	}

	p, err := b.store.Plan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Counts != (store.LicenseCounts{Unassigned: 1, Assigned: 1, Revoked: 1}) {
		t.Errorf("counts after revoking one of two: %+v", p.Counts)
	}
	a, err := b.store.ListLicenses(ctx, id, store.LicenseFilter{Q: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Licenses) != 1 || a.Licenses[0].Status != store.LicenseRevoked || a.Licenses[0].RevokedAt == nil {
		t.Fatalf("a@example.com's licenses: %+v", a.Licenses)
	}
	// The freed seat is counted (above), not made a row.
	free, err := b.store.ListLicenses(ctx, id, store.LicenseFilter{Status: store.LicenseUnassigned})
	if err != nil {
		t.Fatal(err)
	}
	if len(free.Licenses) != 0 {
		t.Errorf("unassigned seats after the revocation: %+v, want no rows", free.Licenses)
	}
}

// reorderForm finds the move buttons' form of child on the block page.
func reorderForm(t *testing.T, d *goquery.Document, child string) url.Values {
	t.Helper()
	form := d.Find(`[data-testid="child-row"] form:has(input[name="child"][value="` + child + `"])`)
	if form.Length() != 1 {
		t.Fatalf("no reorder form for child %s", child)
	}
	version, _ := form.Find(`input[name="version"]`).Attr("value")
	return url.Values{"child": {child}, "version": {version}}
}

func TestCoursePage_AddReorderAndDeleteChildBlocks(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	ctx := context.Background()
	parent := cb.leaf.ParentID
	blockPath := "/courses/" + cb.key + "/blocks/"
	children := func() []string {
		t.Helper()
		blk, err := cb.store.Block(ctx, cb.key, parent, cb.author)
		if err != nil {
			t.Fatal(err)
		}
		return blk.Children
	}
	flashAt := func(resp *http.Response) string {
		t.Helper()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d, want 303", resp.Request.URL.Path, resp.StatusCode)
		}
		return doc(t, get(t, cb.c, cb.srv.URL+resp.Header.Get("Location"))).Find(`[data-testid="flash"]`).Text()
	}

	// Add a second html block to the vertical.
	resp := cb.post(t, blockPath+parent+"/add", url.Values{"type": {"html"}, "display_name": {"Second"}})
	if f := flashAt(resp); !strings.Contains(f, "Added Second") {
		t.Errorf("flash after adding: %q", f)
	}
	kids := children()
	if len(kids) != 2 || kids[0] != cb.leaf.ID {
		t.Fatalf("children after adding: %v", kids)
	}
	second := kids[1]
	if added, err := cb.store.Block(ctx, cb.key, second, cb.author); err != nil || added.DisplayName != "Second" || added.Type != store.BlockHTML {
		t.Fatalf("the added block: %+v (%v)", added, err)
	}
	if !strings.Contains(resp.Header.Get("Location"), "block="+second) {
		t.Errorf("after adding, sent to %q, want the new block", resp.Header.Get("Location"))
	}

	// Move it up, then down again, with the forms the page offers.
	for _, step := range []struct {
		dir  string
		want []string
	}{{"up", []string{second, cb.leaf.ID}}, {"down", []string{cb.leaf.ID, second}}} {
		form := reorderForm(t, doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"?block="+parent)), second)
		form.Set("dir", step.dir)
		if f := flashAt(cb.post(t, blockPath+parent+"/reorder", form)); !strings.Contains(f, "Moved") {
			t.Errorf("flash after moving %s: %q", step.dir, f)
		}
		if got := children(); !slices.Equal(got, step.want) {
			t.Fatalf("children after moving %s: %v, want %v", step.dir, got, step.want)
		}
	}

	// Delete it: the button asks first, then the post deletes.
	page := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"?block="+second))
	del := page.Find(`form:has([data-testid="delete-block"])`)
	if confirm, _ := del.Attr("hx-confirm"); !strings.Contains(confirm, "Delete Second") {
		t.Errorf("the delete form asks %q before deleting", confirm)
	}
	version, _ := del.Find(`input[name="version"]`).Attr("value")
	resp = cb.post(t, blockPath+second+"/delete", url.Values{"version": {version}})
	if f := flashAt(resp); !strings.Contains(f, "Deleted Second") {
		t.Errorf("flash after deleting: %q", f)
	}
	if !strings.Contains(resp.Header.Get("Location"), "block="+parent) {
		t.Errorf("after deleting, sent to %q, want the parent", resp.Header.Get("Location"))
	}
	if got := children(); !slices.Equal(got, []string{cb.leaf.ID}) {
		t.Errorf("children after deleting: %v", got)
	}
	if _, err := cb.store.Block(ctx, cb.key, second, cb.author); store.ErrorCode(err) != store.ENotFound {
		t.Errorf("the deleted block still reads as live: %v", err)
	}
}

func TestEditBlockPage_HeldCourseLockRefusesTheSave(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	holder := store.Actor{Kind: store.ActorClient, ID: "importer", Name: "Course importer"}
	if _, err := cb.store.AcquireLock(context.Background(), store.CourseLockName(cb.key), holder, "import 40 blocks", time.Minute); err != nil {
		t.Fatal(err)
	}
	resp := cb.post(t, "/courses/"+cb.key+"/blocks/"+cb.leaf.ID+"/edit",
		url.Values{"display_name": {"Changed"}, "fields": {`{}`}, "version": {cb.leaf.VersionID}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("saving under a held course lock: %d, want 409", resp.StatusCode)
	}
	banner := doc(t, resp).Find(`[data-testid="blocked-banner"]`)
	if banner.Find("h2").Text() != "Blocked by another process" || banner.Find(`[data-testid="lock-holder"]`).Text() != "Course importer" {
		t.Errorf("banner: %q", banner.Text())
	}
	got, err := cb.store.Block(context.Background(), cb.key, cb.leaf.ID, cb.author)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != cb.leaf.DisplayName || got.VersionID != cb.leaf.VersionID {
		t.Errorf("the refused save changed the block: %q at %s", got.DisplayName, got.VersionID)
	}
}
