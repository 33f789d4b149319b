// Package courses renders course authoring: the list of courses, the course
// page (block tree and edit form), and the change log with diffs and undo.
package courses

import (
	"time"

	"github.com/seatplan/seatplan/views/layout"
)

// CoursesView is the courses a person may see.
type CoursesView struct {
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
	Staff      StaffView
}

// StaffView is who may author the course; admins add and remove them.
type StaffView struct {
	CourseKey string
	Members   []StaffMember
	CanManage bool
	// Who is what was typed into the add form, Errors its problem.
	Who    string
	Errors layout.FieldErrors
}

// StaffMember is a person or API client on the course's staff.
type StaffMember struct {
	Kind, ID, Name, Role string
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
	// Typed are the fields with inputs of their own (a body, a weight, a
	// URL); Fields stays the advanced view of all of them as JSON.
	Typed  []TypedField
	Errors layout.FieldErrors
}

// TypedField is one field of a block with an input of its own.
type TypedField struct {
	Key, Label, Hint string
	Kind             FieldKind
	Value            string
}

// FieldKind says which input a typed field gets.
type FieldKind string

const (
	FieldHTML    FieldKind = "html"
	FieldNumber  FieldKind = "number"
	FieldInteger FieldKind = "integer"
	FieldURL     FieldKind = "url"
)

func (f TypedField) inputID() string { return "field-" + f.Key }

// inputType is the input for the field's kind; a refused value is shown in
// a text input, since a number input would blank what was typed.
func (f TypedField) inputType(refused bool) string {
	if refused {
		return "text"
	}
	switch f.Kind {
	case FieldNumber, FieldInteger:
		return "number"
	case FieldURL:
		return "url"
	}
	return "text"
}

func (f TypedField) step() string {
	if f.Kind == FieldNumber {
		return "any"
	}
	return "1"
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
	// Version names the changes shown: the poll sends it back, and an
	// unchanged notice is not redrawn, so its link keeps a click.
	Version string
}

// HistoryView is the change log page: one row per operation.
type HistoryView struct {
	Base                 layout.Base
	Key, Title           string
	Block, Actor, Source string
	Blocks               []BlockOption // the block picker
	Actors               []string
	Operations           []OperationRow
	Pager                layout.Pager
	CanUndo              bool
}

// BlockOption is one block in the change log's block picker.
type BlockOption struct {
	ID, Label string
}

// OperationRow is one action in the change log: who did what, through
// what, when, to how many blocks; with the first of its per-block diffs.
type OperationRow struct {
	OpID, Source, Actor, Summary string
	At                           time.Time
	Changes, Blocks              int
	Entries                      []Entry
	More                         int    // versions not among Entries
	UndoneBy                     string // the operation that undid this one
	Reverts                      string // the operation this one undid
	// ThenAt and BeforeAt are the instants right after and right before
	// it, as the tree and restore pages take them.
	ThenAt, BeforeAt string
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

// OperationView is one operation with all its per-block diffs, paged.
type OperationView struct {
	Base       layout.Base
	Key, Title string
	Op         OperationRow
	Pager      layout.Pager
	CanUndo    bool
}

// UndoOperationView previews undoing an operation: what each block gets,
// and the later changes it would overwrite, which need a second confirmation.
type UndoOperationView struct {
	Base                       layout.Base
	Key                        string
	Op                         OperationRow
	Changes                    []PlannedRow
	Deletes, Restores, Updates int
	More                       int // blocks Changes does not describe
	Later                      []LaterOperation
	LaterBlocks                int
	Repairs                    []string
	Error                      string // why the last attempt was refused
}

// PlannedRow is one block an undo or restore writes, with the blocks
// inside it that go or come back with it.
type PlannedRow struct {
	Change, Type, Name, BlockID string
	Inside                      int
	Diff                        []DiffRow
}

// LaterOperation is a change made after the one being undone, to blocks it touched.
type LaterOperation struct {
	OpID, Actor, Source, Summary string
	At                           time.Time
	Blocks                       int // of the undone operation's blocks
}

// RestoreView previews restoring the whole course to an instant: the
// course as it was then and what changes to get it back.
type RestoreView struct {
	Base                       layout.Base
	Key, Title                 string
	At                         time.Time
	AtParam                    string // the instant as the form sends it
	Op                         *OperationRow
	Tree                       PastNode
	Changes                    []PlannedRow
	Deletes, Restores, Updates int
	More                       int
}

// PastTreeView is the course as it was at an instant, read only.
type PastTreeView struct {
	Base       layout.Base
	Key, Title string
	At         time.Time
	AtParam    string
	Tree       PastNode
	Blocks     int
	CanUndo    bool
}

// PastNode is a block as it was, with its fields as JSON.
type PastNode struct {
	ID, Name, Type, Fields string
	Children               []PastNode
}

// UndoConfirmView asks once more before an undo overwrites later changes.
type UndoConfirmView struct {
	Base      layout.Base
	Key       string
	Entry     Entry
	Later     []ChangeRow
	Overwrite []DiffRow
}

func (v HistoryView) filtered() bool { return v.Block != "" || v.Actor != "" || v.Source != "" }

// changeVerb says what an undo or restore does to a block.
func changeVerb(change string) string {
	switch change {
	case "delete":
		return "Deletes"
	case "restore":
		return "Brings back"
	}
	return "Restores earlier values of"
}

// insideText names the blocks that go or come back with a planned one.
func insideText(n int) string {
	if n == 0 {
		return ""
	}
	return " and the " + layout.Plural(n, "block", "blocks") + " inside it"
}

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
