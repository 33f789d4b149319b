package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
)

func (cb courseBundle) lastOp(t *testing.T) store.Operation {
	t.Helper()
	page, err := cb.store.CourseOperations(context.Background(), cb.key, store.OperationFilter{Limit: 1}, cb.author)
	if err != nil {
		t.Fatal(err)
	}
	return page.Operations[0]
}

func (cb courseBundle) versions(t *testing.T) int {
	t.Helper()
	var n int
	if err := cb.store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM block_versions WHERE course_key = $1`, cb.key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHistoryPage_ListsOneRowPerActionAndPicksBlocksByName(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	page := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history"))
	rows := page.Find(`[data-testid="operation"]`)
	if rows.Length() != 5 {
		t.Fatalf("%d rows, want the course's creation and four creates", rows.Length())
	}
	newest := rows.First()
	if got := newest.Find(`[data-testid="op-summary"]`).Text(); got != `Created html "The html" in vertical "The vertical"` {
		t.Errorf("newest row reads %q", got)
	}
	if n := newest.Find(`[data-testid="history-entry"]`).Length(); n != 2 {
		t.Errorf("the create unfolds into %d block changes, want the block and its parent", n)
	}
	if got := page.Find(`#history-block option[value="` + cb.leaf.ID + `"]`).Text(); !strings.Contains(got, "The html") {
		t.Errorf("the block picker names the leaf %q", got)
	}
	filtered := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history?block="+cb.leaf.ID))
	if n := filtered.Find(`[data-testid="operation"]`).Length(); n != 1 {
		t.Errorf("filtered by the leaf: %d rows, want its create", n)
	}
	if _, ok := filtered.Find(`#history-block option[value="` + cb.leaf.ID + `"]`).Attr("selected"); !ok {
		t.Error("the picker does not show the block filtered by")
	}
	if resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history?cursor=x"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a forged cursor: %d, want 400", resp.StatusCode)
	}
}

func TestUndoOperationPage_PreviewsThenUndoesACreateNamingTheBlock(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	ctx := context.Background()
	extra, err := cb.store.CreateBlock(ctx, cb.key, store.NewBlock{ParentID: cb.leaf.ParentID, Type: store.BlockVideo, DisplayName: "Extra clip"}, cb.author, store.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	op := cb.lastOp(t)
	undo := "/courses/" + cb.key + "/operations/" + op.ID + "/undo"
	n := cb.versions(t)
	preview := doc(t, get(t, cb.c, cb.srv.URL+undo))
	deletes := preview.Find(`[data-testid="planned-change"][data-change="delete"]`)
	if deletes.Length() != 1 || deletes.AttrOr("data-block-id", "") != extra.ID || !strings.Contains(deletes.Text(), "Extra clip") {
		t.Errorf("the preview does not say it deletes Extra clip: %q", preview.Find(`[data-testid="planned-changes"]`).Text())
	}
	if cb.versions(t) != n {
		t.Error("the preview wrote something")
	}
	if resp := cb.post(t, undo, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed undo: %d", resp.StatusCode)
	}
	if _, err := cb.store.Block(ctx, cb.key, extra.ID, cb.author); store.ErrorCode(err) != store.ENotFound {
		t.Errorf("after the undo the created block reads as %v", err)
	}
	row := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history")).Find(`[data-testid="operation"]`)
	if row.First().Find(`[data-testid="op-source"]`).Text() != "undo" || row.Eq(1).Find(`[data-testid="op-undone"]`).Length() != 1 {
		t.Error("the change log does not show the undo on top and the create as undone")
	}
}

func TestUndoOperationPage_LaterChangesAreListedAndNeedTheSecondConfirmation(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	cb.rename(t, cb.author, "First")
	first := cb.lastOp(t)
	cb.rename(t, cb.editor, "Second")
	undo := "/courses/" + cb.key + "/operations/" + first.ID + "/undo"
	preview := doc(t, get(t, cb.c, cb.srv.URL+undo))
	if later := preview.Find(`[data-testid="later-operation"]`); later.Length() != 1 || !strings.Contains(later.Text(), "colleague@example.com") {
		t.Errorf("the preview does not say who changed the block since: %q", preview.Find(`[data-testid="undo-conflicts"]`).Text())
	}
	n := cb.versions(t)
	resp := cb.post(t, undo, nil)
	refused := doc(t, resp)
	if resp.StatusCode != http.StatusConflict || refused.Find(`[data-testid="undo-error"]`).Length() != 1 || cb.versions(t) != n {
		t.Fatalf("undo without the second confirmation: %d, wrote %d versions", resp.StatusCode, cb.versions(t)-n)
	}
	if resp := cb.post(t, undo, url.Values{"force": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed twice: %d", resp.StatusCode)
	}
	if got, _ := cb.store.Block(context.Background(), cb.key, cb.leaf.ID, cb.author); got.DisplayName != "The html" {
		t.Errorf("after the undo the leaf is %q", got.DisplayName)
	}
	if resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/operations/01NOSUCHOP/undo"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown operation: %d", resp.StatusCode)
	}
}

func TestRestorePages_ShowTheCourseThenAndRestoreIt(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	ctx := context.Background()
	before := cb.lastOp(t).At
	cb.rename(t, cb.editor, "Renamed later")
	if err := cb.store.DeleteBlock(ctx, cb.key, cb.leaf.ParentID, "", cb.author, store.SourceUI); err != nil {
		t.Fatal(err)
	}
	at := url.QueryEscape(before.UTC().Format(time.RFC3339Nano))
	past := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/tree?at="+at))
	if names := past.Find(`[data-testid="past-name"]`).Text(); !strings.Contains(names, "The html") || strings.Contains(names, "Renamed later") {
		t.Errorf("the course then reads %q", names)
	}
	preview := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/restore?at="+at))
	back := preview.Find(`[data-testid="planned-change"][data-change="restore"]`)
	if back.Length() != 1 || back.AttrOr("data-block-id", "") != cb.leaf.ParentID || !strings.Contains(back.Text(), "and the 1 block inside it") {
		t.Errorf("the preview says %q, want the vertical coming back with the leaf inside it", back.Text())
	}
	form := preview.Find(`form[action="/courses/` + cb.key + `/restore"] input[name="at"]`)
	if resp := cb.post(t, "/courses/"+cb.key+"/restore", url.Values{"at": {form.AttrOr("value", "")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore: %d", resp.StatusCode)
	}
	if got, err := cb.store.Block(ctx, cb.key, cb.leaf.ID, cb.author); err != nil || got.DisplayName != "The html" {
		t.Errorf("after the restore the leaf is %q (%v)", got.DisplayName, err)
	}
	for q, want := range map[string]int{"?at=yesterday": 400, "?at=2000-01-01T00:00:00Z": 422, "": 400} {
		if resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/tree"+q); resp.StatusCode != want {
			t.Errorf("tree%s: %d, want %d", q, resp.StatusCode, want)
		}
	}
}

func TestDashboard_RecentActivityNamesTheCourseOfEachOperation(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	cb.rename(t, cb.author, "Renamed")
	cb.person(t, "help@example.com", store.RoleSupport)
	c := cb.browser(t)
	cb.signIn(t, c, "help@example.com", "correct horse battery")
	rename := doc(t, get(t, c, cb.srv.URL+"/")).Find(`[data-testid="recent-activity-item"]:has([title="block.update"])`)
	if text := rename.Text(); rename.Length() != 1 || !strings.Contains(text, cb.key) || strings.Contains(text, cb.leaf.ID) {
		t.Errorf("the rename reads %q in the recent activity, want a change to course %s", text, cb.key)
	}
}

func TestOperationPage_ListsEveryBlockTheRowDoesNotUnfold(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	ctx := context.Background()
	for i := range 6 {
		if _, err := cb.store.CreateBlock(ctx, cb.key, store.NewBlock{ParentID: cb.leaf.ParentID, Type: store.BlockProblem, DisplayName: "Quiz " + string(rune('A'+i))}, cb.author, store.SourceUI); err != nil {
			t.Fatal(err)
		}
	}
	if err := cb.store.DeleteBlock(ctx, cb.key, cb.leaf.ParentID, "", cb.author, store.SourceUI); err != nil {
		t.Fatal(err)
	}
	del := cb.lastOp(t)
	row := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history")).Find(`[data-testid="operation"]`).First()
	more, _ := row.Find(`[data-testid="op-more"]`).Attr("href")
	if n := row.Find(`[data-testid="history-entry"]`).Length(); n != 5 || more != "/courses/"+cb.key+"/operations/"+del.ID {
		t.Fatalf("the delete's row unfolds %d changes and links %q, want 5 and its page", n, more)
	}
	page := doc(t, get(t, cb.c, cb.srv.URL+more))
	if n := page.Find(`[data-testid="history-entry"]`).Length(); n != del.Changes || del.Changes != 9 {
		t.Errorf("the operation's page lists %d of its %d changes, want the sequential, the vertical and its 7 leaves", n, del.Changes)
	}
	if resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/operations/01NOSUCHOP"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown operation: %d", resp.StatusCode)
	}
}
