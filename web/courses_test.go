package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
)

// courseBundle is a signed-in author's browser on a course with one leaf.
type courseBundle struct {
	*bundle
	c              *http.Client
	author, editor store.Actor
	key            string
	leaf           store.Block
}

func setupCourse(t *testing.T) courseBundle {
	t.Helper()
	b := setup(t, setupOpts{})
	ctx := context.Background()
	mk := func(email string, role store.Role) store.Actor {
		p, err := b.store.CreatePerson(ctx, store.NewPerson{Email: email, Role: role, Password: "correct horse battery"}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		return p.Actor()
	}
	cb := courseBundle{bundle: b, author: mk("author@example.com", store.RoleAuthor), editor: mk("colleague@example.com", store.RoleAuthor)}
	course, err := b.store.CreateCourse(ctx, "course-v1:Web+T1", "Web course", cb.author, store.SourceUI)
	if err != nil {
		t.Fatal(err)
	}
	cb.key = course.Key
	if err := b.store.AddCourseStaff(ctx, cb.key, cb.editor, cb.author); err != nil {
		t.Fatal(err)
	}
	parent := course.RootBlockID
	for _, typ := range []store.BlockType{store.BlockChapter, store.BlockSequential, store.BlockVertical, store.BlockHTML} {
		blk, err := b.store.CreateBlock(ctx, cb.key, store.NewBlock{ParentID: parent, Type: typ, DisplayName: "The " + string(typ)}, cb.author, store.SourceUI)
		if err != nil {
			t.Fatal(err)
		}
		parent, cb.leaf = blk.ID, blk
	}
	cb.c = b.browser(t)
	b.signIn(t, cb.c, "author@example.com", "correct horse battery")
	return cb
}

// post sends form to path from the author's browser.
func (cb courseBundle) post(t *testing.T, path string, form url.Values) *http.Response {
	t.Helper()
	return post(t, cb.c, cb.srv.URL+path, formType, []byte(form.Encode()))
}

func (cb courseBundle) rename(t *testing.T, by store.Actor, name string) store.Block {
	t.Helper()
	blk, err := cb.store.UpdateBlock(context.Background(), cb.key, cb.leaf.ID, store.BlockUpdate{DisplayName: &name}, by, store.SourceUI)
	if err != nil {
		t.Fatal(err)
	}
	return blk
}

func TestCoursePages_NonStaffAuthorIsRefused(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	cb.person(t, "outsider@example.com", store.RoleAuthor)
	c := cb.browser(t)
	cb.signIn(t, c, "outsider@example.com", "correct horse battery")
	if resp := get(t, c, cb.srv.URL+"/courses/"+cb.key); resp.StatusCode != http.StatusForbidden {
		t.Errorf("course page for a non-staff author: %d", resp.StatusCode)
	}
	if n := doc(t, get(t, c, cb.srv.URL+"/courses")).Find(`[data-testid="course-row"]`).Length(); n != 0 {
		t.Errorf("a non-staff author sees %d courses", n)
	}
	if resp := get(t, cb.c, cb.srv.URL+"/courses/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown course: %d", resp.StatusCode)
	}
}

func TestEditBlockPage_StaleFormShowsWhoChangedWhatAndOverwritesOnlyOnPurpose(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	page := doc(t, get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"?block="+cb.leaf.ID))
	loaded, _ := page.Find(`[data-testid="block-form"] input[name="version"]`).Attr("value")
	if loaded != cb.leaf.VersionID {
		t.Fatalf("the form carries version %q, want %q", loaded, cb.leaf.VersionID)
	}
	theirs := cb.rename(t, cb.editor, "Their name")

	action := "/courses/" + cb.key + "/blocks/" + cb.leaf.ID + "/edit"
	resp := cb.post(t, action, url.Values{"display_name": {"My name"}, "fields": {`{"a": 1}`}, "version": {loaded}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("saving a stale form: %d, want 409", resp.StatusCode)
	}
	conflict := doc(t, resp)
	box := conflict.Find(`[data-testid="edit-conflict"]`)
	if !strings.Contains(box.Text(), "colleague@example.com") || box.Find(`[data-field="display_name"] ins`).Text() != "Their name" {
		t.Errorf("the conflict does not say who changed what: %q", box.Text())
	}
	if v, _ := conflict.Find(`[data-testid="display-name"]`).Attr("value"); v != "My name" {
		t.Errorf("the form lost what was typed: %q", v)
	}
	now, _ := conflict.Find(`[data-testid="block-form"] input[name="version"]`).Attr("value")
	if now != theirs.VersionID || conflict.Find(`input[name="overwrite"]`).Length() != 1 {
		t.Errorf("the overwrite form carries version %q, want %q and the overwrite flag", now, theirs.VersionID)
	}
	if got, _ := cb.store.Block(context.Background(), cb.key, cb.leaf.ID, cb.author); got.DisplayName != "Their name" {
		t.Errorf("the refused save changed the block: %q", got.DisplayName)
	}

	resp = cb.post(t, action, url.Values{"display_name": {"My name"}, "fields": {`{"a": 1}`}, "version": {now}, "overwrite": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("overwriting: %d", resp.StatusCode)
	}
	if got, _ := cb.store.Block(context.Background(), cb.key, cb.leaf.ID, cb.author); got.DisplayName != "My name" {
		t.Errorf("after overwriting: %q", got.DisplayName)
	}

	resp = cb.post(t, action, url.Values{"display_name": {"x"}, "fields": {`[1, 2]`}, "version": {""}})
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "must be a JSON object") {
		t.Errorf("fields that are not an object: %d", resp.StatusCode)
	}
}

func TestUndoPage_AsksOnceMoreWhenTheBlockChangedLater(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	cb.rename(t, cb.author, "First")
	cb.rename(t, cb.editor, "Second")
	hist, err := cb.store.CourseHistory(context.Background(), cb.key, store.HistoryFilter{Block: cb.leaf.ID, Limit: 2}, cb.author)
	if err != nil {
		t.Fatal(err)
	}
	first := hist.Versions[1]
	undo := "/courses/" + cb.key + "/history/" + first.VersionID + "/undo"
	resp := cb.post(t, undo, nil)
	confirm := doc(t, resp)
	if resp.StatusCode != http.StatusOK || confirm.Find(`[data-testid="undo-confirm"]`).Length() != 1 {
		t.Fatalf("undo under a later change: %d, no confirmation", resp.StatusCode)
	}
	if !strings.Contains(confirm.Find(`[data-testid="later-change"]`).Text(), "colleague@example.com") ||
		confirm.Find(`[data-field="display_name"] del`).Text() != "Second" {
		t.Errorf("the confirmation does not show what is overwritten: %q", confirm.Find(`[data-testid="undo-confirm"]`).Text())
	}
	if got, _ := cb.store.Block(context.Background(), cb.key, cb.leaf.ID, cb.author); got.DisplayName != "Second" {
		t.Errorf("asking changed the block: %q", got.DisplayName)
	}
	if resp := cb.post(t, undo, url.Values{"confirm": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed undo: %d", resp.StatusCode)
	}
	if got, _ := cb.store.Block(context.Background(), cb.key, cb.leaf.ID, cb.author); got.DisplayName != "The html" {
		t.Errorf("after undoing the first rename the block is %q, want its name before it", got.DisplayName)
	}
}

func TestBlockChanges_NoticeNamesWhatOthersChanged(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	poll := cb.srv.URL + "/courses/" + cb.key + "/blocks/" + cb.leaf.ID + "/changes?since=" + cb.leaf.VersionID
	cb.rename(t, cb.author, "Mine")
	// The editor opens with no notice; while there is none to show, its
	// poll is answered with nothing to redraw.
	if resp := get(t, cb.c, poll, "HX-Request", "true"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("my own change: the poll answers %d, want 204", resp.StatusCode)
	}
	cb.rename(t, cb.editor, "Theirs")
	fragment := doc(t, get(t, cb.c, poll, "HX-Request", "true"))
	notice := fragment.Find(`[data-testid="changed-notice"]`)
	if !strings.Contains(notice.Text(), "colleague@example.com") {
		t.Errorf("notice %q does not name the colleague", notice.Text())
	}
	// The notice's own poll names what it shows: unchanged, nothing to
	// redraw (its link keeps a click); after another change, redrawn.
	next, _ := fragment.Find(`#block-changes`).Attr("hx-get")
	if resp := get(t, cb.c, cb.srv.URL+next, "HX-Request", "true"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("polling an unchanged notice: %d, want 204", resp.StatusCode)
	}
	cb.rename(t, cb.editor, "Theirs again")
	if n := doc(t, get(t, cb.c, cb.srv.URL+next, "HX-Request", "true")).Find(`[data-testid="changed-notice"] li`).Length(); n != 2 {
		t.Errorf("after a second change the notice lists %d changes, want 2", n)
	}
}

func TestHistoryPage_EscapesWhatPeopleTypedAndFilters(t *testing.T) {
	t.Parallel()
	cb := setupCourse(t)
	const hostile = `<script>alert(1)</script>`
	cb.rename(t, cb.author, hostile)
	if _, err := cb.store.UpdateBlock(context.Background(), cb.key, cb.leaf.ID,
		store.BlockUpdate{Fields: json.RawMessage(`{"body": "<img src=x onerror=alert(1)>"}`)}, cb.author, store.SourceAPI); err != nil {
		t.Fatal(err)
	}
	resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history")
	body, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(body), hostile) || strings.Contains(string(body), "<img src=x") {
		t.Error("the change log renders typed HTML unescaped")
	}
	if !strings.Contains(string(body), "&lt;script&gt;") {
		t.Error("the hostile name is missing from the change log")
	}
	for _, q := range []string{"?source=api", "?actor=author%40example.com", "?block=" + cb.leaf.ID} {
		if resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history"+q); resp.StatusCode != http.StatusOK {
			t.Errorf("filter %s: %d", q, resp.StatusCode)
		}
	}
	if resp := get(t, cb.c, cb.srv.URL+"/courses/"+cb.key+"/history?source=fax"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown source: %d", resp.StatusCode)
	}
}
