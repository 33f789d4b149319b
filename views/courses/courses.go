// Package courses renders course authoring: the list of courses, the course
// page (block tree and edit form), and the change log with diffs and undo.
package courses

import (
	"net/url"
	"time"

	"github.com/seatplan/seatplan/views/layout"
)

// ListView is the courses a person may see.
type ListView struct {
	Base      layout.Base
	Courses   []CourseRow
	CanCreate bool
	// Key, Title and Error refill the create form after a refusal.
	Key, Title, Error string
}

type CourseRow struct {
	Key, Title string
}

// TreeNode is one block of the course tree.
type TreeNode struct {
	ID, Name, Type string
	Selected       bool
	Children       []TreeNode
}

// CourseView is the course page: the tree and, when a block is selected, its editor.
type CourseView struct {
	Base       layout.Base
	Key, Title string
	Tree       TreeNode
	Editor     *EditorView
}

// Crumb is one step of a block's path in the tree.
type Crumb struct {
	ID, Name, Type string
}

// ChildRow is a child of the selected block, with reorder buttons.
type ChildRow struct {
	ID, Name, Type string
	First, Last    bool
}

// EditorView is the edit form of one block, carrying the version it was loaded from.
type EditorView struct {
	CourseKey   string
	BlockID     string
	Type        string
	DisplayName string
	Fields      string // pretty JSON
	Version     string
	Path        []Crumb
	Children    []ChildRow
	ChildTypes  []string
	CanEdit     bool
	IsRoot      bool
	Error       string
	Conflict    *Conflict
}

// Conflict is shown when the block changed since the form was loaded: who
// changed what, and a way to overwrite it on purpose.
type Conflict struct {
	Changes []ChangeRow
	Diff    []DiffRow
}

// ChangeRow is one change as a notice or list names it.
type ChangeRow struct {
	At             time.Time
	Actor, Summary string
}

// DiffRow is one field before and after.
type DiffRow struct {
	Field, Before, After string
	Changed              bool
}

// ChangesNotice is the polled notice that someone else changed the open block.
type ChangesNotice struct {
	CourseKey, BlockID, Since string
	Changes                   []ChangeRow
}

// HistoryView is the change log page.
type HistoryView struct {
	Base             layout.Base
	Key, Title       string
	Block, BlockName string
	Actor, Source    string
	Actors           []string
	Entries          []Entry
	Pager            layout.Pager
	CanUndo          bool
}

// Entry is one version in the change log.
type Entry struct {
	VersionID, BlockID    string
	Change, Source, Actor string
	Summary               string
	At                    time.Time
	Path                  []Crumb
	Diff                  []DiffRow
}

// UndoConfirmView asks once more before an undo overwrites later changes.
type UndoConfirmView struct {
	Base      layout.Base
	Key       string
	Entry     Entry
	Later     []ChangeRow
	Overwrite []DiffRow
}

func courseURL(key string) string { return "/courses/" + url.PathEscape(key) }

func blockURL(key, id string) string { return courseURL(key) + "?block=" + url.QueryEscape(id) }

func blockActionURL(key, id, action string) string {
	return courseURL(key) + "/blocks/" + url.PathEscape(id) + "/" + action
}

func historyURL(key string) string { return courseURL(key) + "/history" }

func blockHistoryURL(key, id string) string { return historyURL(key) + "?block=" + url.QueryEscape(id) }

func undoURL(key, version string) string {
	return historyURL(key) + "/" + url.PathEscape(version) + "/undo"
}

func changesURL(key, id, since string) string {
	return blockActionURL(key, id, "changes") + "?since=" + url.QueryEscape(since)
}

func (v HistoryView) filtered() bool { return v.Block != "" || v.Actor != "" || v.Source != "" }

// sourceBadge reuses the status badge colours for the four sources.
func sourceBadge(source string) string {
	switch source {
	case "undo":
		return "badge badge-queued"
	case "api":
		return "badge badge-assigned"
	case "import":
		return "badge badge-running"
	}
	return "badge"
}
