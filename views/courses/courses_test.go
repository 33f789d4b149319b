package courses_test

import (
	"testing"
	"time"

	"github.com/seatplan/seatplan/views/courses"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

func TestCoursePage_IsCSPSafeAndOffersOnlyAllowedChildTypes(t *testing.T) {
	t.Parallel()
	v := courses.CourseView{Base: layout.Base{Title: "C"}, Key: "k", Title: hostile,
		Tree: courses.TreeNode{ID: "r", Name: "Root", Type: "course", Children: []courses.TreeNode{{ID: "c", Name: hostile, Type: "chapter", Selected: true}}},
		Editor: &courses.EditorView{CourseKey: "k", BlockID: "c", Type: "chapter", DisplayName: hostile, Fields: `{"x": "` + hostile + `"}`,
			Version: "V1", CanEdit: true, ChildTypes: []string{"sequential"}}}
	doc := viewtest.Render(t, courses.CoursePage(v))
	viewtest.AssertCSPSafe(t, doc)
	if doc.Find("script:not([src])").Length() != 0 {
		t.Error("a typed name became a script element")
	}
	if opts := doc.Find(`#child-type option`); opts.Length() != 1 || opts.Text() != "sequential" {
		t.Errorf("child types offered: %q", opts.Text())
	}
	if v, _ := doc.Find(`[data-testid="block-form"] input[name="version"]`).Attr("value"); v != "V1" {
		t.Errorf("the form carries version %q", v)
	}
	if _, ok := viewtest.ByTestID(doc, "delete-block").Parent().Attr("hx-confirm"); !ok {
		t.Error("delete does not ask for confirmation")
	}
	if doc.Find(`#block-changes[hx-trigger^="every"]`).Length() != 1 {
		t.Error("the open block does not poll for others' changes")
	}
}

func TestHistoryPage_OneRowPerOperationWithItsDiffsAndActions(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	v := courses.HistoryView{Base: layout.Base{Title: "H"}, Key: "k", Title: "T", CanUndo: true,
		Blocks: []courses.BlockOption{{ID: "b", Label: hostile}},
		Operations: []courses.OperationRow{{OpID: "OP1", Source: "ui", Actor: hostile, Summary: hostile, At: at, Changes: 7, Blocks: 7, More: 6,
			ThenAt: "2026-01-02T03:04:00Z", BeforeAt: "2026-01-02T03:03:59.999999Z",
			Entries: []courses.Entry{{VersionID: "V2", BlockID: "b", Change: "update", Source: "ui", Actor: hostile, Summary: hostile, At: at,
				Diff: []courses.DiffRow{{Field: "display_name", Before: "Old", After: hostile, Changed: true}, {Field: "fields.n", Before: "1", After: "1"}}}}}},
		Pager: layout.Pager{NextURL: "/courses/k/history?cursor=12"}}
	doc := viewtest.Render(t, courses.HistoryPage(v))
	viewtest.AssertCSPSafe(t, doc)
	if n := viewtest.ByTestID(doc, "operation").Length(); n != 1 {
		t.Fatalf("%d operation rows, want 1", n)
	}
	if got := doc.Find(`[data-field="display_name"] ins.diff-add`).Text(); got != hostile {
		t.Errorf("changed field after: %q", got)
	}
	if doc.Find(`[data-field="fields.n"] .diff-add, [data-field="fields.n"] .diff-del`).Length() != 0 {
		t.Error("an unchanged field is highlighted")
	}
	if href, _ := viewtest.ByTestID(doc, "restore-before").Attr("href"); href != "/courses/k/restore?at=2026-01-02T03%3A03%3A59.999999Z" {
		t.Errorf("restore link %q", href)
	}
	if href, _ := viewtest.ByTestID(doc, "view-then").Attr("href"); href != "/courses/k/tree?at=2026-01-02T03%3A04%3A00Z" {
		t.Errorf("view link %q", href)
	}
	for _, id := range []string{"undo-operation", "op-more", "undo", "next-page"} {
		if viewtest.ByTestID(doc, id).Length() != 1 {
			t.Errorf("missing %s", id)
		}
	}
	if doc.Find(`#history-block option[value="b"]`).Text() != hostile || doc.Find(`input[name="block"]`).Length() != 0 {
		t.Error("the block filter is not a picker of block names")
	}
}

func TestUndoOperationPage_LaterChangesNeedASecondConfirmation(t *testing.T) {
	t.Parallel()
	v := courses.UndoOperationView{Base: layout.Base{Title: "U"}, Key: "k", Op: courses.OperationRow{OpID: "OP1", Summary: "Created video"},
		Changes: []courses.PlannedRow{{Change: "delete", Type: "video", Name: hostile, BlockID: "b"}}, Deletes: 1}
	doc := viewtest.Render(t, courses.UndoOperationPage(v))
	viewtest.AssertCSPSafe(t, doc)
	if got := viewtest.ByTestID(doc, "planned-change").Find("summary").Text(); got != "Deletes video “"+hostile+"”" {
		t.Errorf("the preview says %q, want which block it deletes", got)
	}
	if viewtest.ByTestID(doc, "confirm-overwrite").Length() != 0 {
		t.Error("an undo without later changes asks to overwrite them")
	}

	v.Later, v.LaterBlocks = []courses.LaterOperation{{OpID: "OP2", Actor: "other@example.com", Summary: "Renamed", Blocks: 1}}, 1
	doc = viewtest.Render(t, courses.UndoOperationPage(v))
	box := viewtest.ByTestID(doc, "confirm-overwrite")
	if _, required := box.Attr("required"); !required || box.AttrOr("name", "") != "force" {
		t.Error("undoing over later changes does not take a required second confirmation")
	}
	if viewtest.ByTestID(doc, "later-operation").Length() != 1 {
		t.Error("the later change is not listed")
	}
}

func TestPastTreePage_IsReadOnly(t *testing.T) {
	t.Parallel()
	v := courses.PastTreeView{Base: layout.Base{Title: "P"}, Key: "k", Title: hostile, AtParam: "2026-01-02T03:04:00Z", Blocks: 2, CanUndo: true,
		Tree: courses.PastNode{ID: "r", Name: "Root", Type: "course", Children: []courses.PastNode{{ID: "c", Name: hostile, Type: "chapter", Fields: `{"x":"` + hostile + `"}`}}}}
	doc := viewtest.Render(t, courses.PastTreePage(v))
	viewtest.AssertCSPSafe(t, doc)
	if viewtest.ByTestID(doc, "past-node").Length() != 2 || doc.Find("main form").Length() != 0 {
		t.Error("the past tree is not a read-only tree of both blocks")
	}
}
