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

func TestHistoryPage_DiffMarksChangedFields(t *testing.T) {
	t.Parallel()
	v := courses.HistoryView{Base: layout.Base{Title: "H"}, Key: "k", Title: "T", CanUndo: true,
		Entries: []courses.Entry{{VersionID: "V2", BlockID: "b", Change: "update", Source: "ui", Actor: hostile, Summary: hostile,
			At:   time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
			Diff: []courses.DiffRow{{Field: "display_name", Before: "Old", After: hostile, Changed: true}, {Field: "fields.n", Before: "1", After: "1"}}}},
		Pager: layout.Pager{NextURL: "/courses/k/history?cursor=V2"}}
	doc := viewtest.Render(t, courses.HistoryPage(v))
	viewtest.AssertCSPSafe(t, doc)
	if got := doc.Find(`[data-field="display_name"] ins.diff-add`).Text(); got != hostile {
		t.Errorf("changed field after: %q", got)
	}
	if doc.Find(`[data-field="fields.n"] .diff-add, [data-field="fields.n"] .diff-del`).Length() != 0 {
		t.Error("an unchanged field is highlighted")
	}
	if viewtest.ByTestID(doc, "undo").Length() != 1 || viewtest.ByTestID(doc, "next-page").Length() != 1 {
		t.Error("missing Undo or Older →")
	}
}
