package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/courses"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
)

type courseLister interface {
	ListCourses(ctx context.Context, a store.Actor) ([]store.Course, error)
	CreateCourse(ctx context.Context, key, title string, by store.Actor, src store.Source) (store.Course, error)
}

// CoursesPage lists the courses the person may see, with a create form for
// authors and admins.
func CoursesPage(st courseLister) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderCourseList(w, r, st, http.StatusOK, courses.CoursesView{})
	})
}

func renderCourseList(w http.ResponseWriter, r *http.Request, st courseLister, status int, v courses.CoursesView) {
	list, err := st.ListCourses(r.Context(), mustActor(r))
	if err != nil {
		Fail(w, r, err)
		return
	}
	v.Base = basePage(r, "Courses")
	v.CanCreate = mustActor(r).Is(store.RoleAuthor, store.RoleAdmin)
	for _, c := range list {
		v.Courses = append(v.Courses, courses.CourseRow{Key: c.Key, Title: c.Title})
	}
	render(w, r, status, courses.CoursesPage(v))
}

// CreateCoursePage handles the new-course form.
func CreateCoursePage(st courseLister) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxBlockForm) {
			return
		}
		key, title := r.PostFormValue("key"), r.PostFormValue("title")
		c, err := st.CreateCourse(r.Context(), key, title, mustActor(r), store.SourceUI)
		if code := store.ErrorCode(err); code == store.EInvalid || code == store.EConflict {
			renderCourseList(w, r, st, statusOf(err), courses.CoursesView{Key: key, Title: title, Error: err.Error()})
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		http.Redirect(w, r, paths.Course(c.Key), http.StatusSeeOther)
	})
}

// maxBlockForm bounds the edit form: the fields' limit plus room for the rest.
const maxBlockForm = store.MaxFieldsBytes + maxFormBody

type coursePageStore interface {
	blockEditor
	historyReader
	CourseOutline(ctx context.Context, course string, a store.Actor) (store.Outline, error)
	CanEditCourse(ctx context.Context, course string, a store.Actor) (bool, error)
	Version(ctx context.Context, course, versionID string, a store.Actor) (store.BlockVersion, error)
	CourseStaff(ctx context.Context, key string, a store.Actor) ([]store.StaffMember, error)
	lockWatcher
}

// CoursePage shows a course's outline and, with ?block=, that block's editor.
func CoursePage(st coursePageStore, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderCoursePage(w, r, st, now, r.URL.Query().Get("block"), http.StatusOK, nil)
	})
}

// renderCoursePage draws the course page; adjust lets a refused form refill
// itself with what the person typed.
func renderCoursePage(w http.ResponseWriter, r *http.Request, st coursePageStore, now func() time.Time, blockID string, status int, adjust func(*courses.CourseView)) {
	ctx, course := r.Context(), r.PathValue("course")
	o, err := st.CourseOutline(ctx, course, mustActor(r))
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := courses.CourseView{Base: withCrumbs(basePage(r, o.Course.Title), layout.Crumb{Label: o.Course.Title}), Key: course, Title: o.Course.Title}
	if v.Base.Blocked, err = pageBanner(r, st, store.CourseLockName(course), now()); err != nil {
		Fail(w, r, err)
		return
	}
	v.Tree = treeOf(o, o.Course.RootBlockID, blockID)
	if blockID != "" {
		b, ok := o.Blocks[blockID]
		if !ok || b.Deleted {
			Fail(w, r, store.Errorf(store.ENotFound, "There is no block %q in the course %s; it may have been deleted.", blockID, course))
			return
		}
		canEdit, err := st.CanEditCourse(ctx, course, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		v.Editor = editorOf(o, b, canEdit)
	}
	if v.Staff, err = staffView(r, st, course); err != nil {
		Fail(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	render(w, r, status, courses.CoursePage(v))
}

type staffReader interface {
	CourseStaff(ctx context.Context, key string, a store.Actor) ([]store.StaffMember, error)
}

// staffView is the course's staff section; admins manage it.
func staffView(r *http.Request, st staffReader, course string) (courses.StaffView, error) {
	members, err := st.CourseStaff(r.Context(), course, mustActor(r))
	if err != nil {
		return courses.StaffView{}, err
	}
	v := courses.StaffView{CourseKey: course, CanManage: mustActor(r).Is(store.RoleAdmin)}
	for _, m := range members {
		v.Members = append(v.Members, courses.StaffMember{Kind: string(m.Kind), ID: m.ID, Name: m.Name, Role: string(m.Role)})
	}
	return v, nil
}

func treeOf(o store.Outline, id, selected string) courses.TreeNode {
	b := o.Blocks[id]
	n := courses.TreeNode{ID: b.ID, Name: b.DisplayName, Type: string(b.Type), Selected: id == selected}
	for _, c := range b.Children {
		n.Children = append(n.Children, treeOf(o, c, selected))
	}
	return n
}

func editorOf(o store.Outline, b store.Block, canEdit bool) *courses.EditorView {
	e := &courses.EditorView{CourseKey: b.CourseKey, BlockID: b.ID, Type: string(b.Type), DisplayName: b.DisplayName,
		Fields: prettyJSON(b.Fields), Typed: typedFieldsOf(b.Type, b.Fields), Version: b.VersionID, CanEdit: canEdit, IsRoot: b.Type == store.BlockCourse,
		Path: crumbs(o, b.ID)}
	for i, c := range b.Children {
		child := o.Blocks[c]
		e.Children = append(e.Children, courses.ChildRow{ID: c, Name: child.DisplayName, Type: string(child.Type),
			First: i == 0, Last: i == len(b.Children)-1})
	}
	for _, t := range store.AllowedChildTypes(b.Type) {
		e.ChildTypes = append(e.ChildTypes, string(t))
	}
	return e
}

func crumbs(o store.Outline, id string) []courses.Crumb {
	var out []courses.Crumb
	for _, p := range o.Path(id) {
		out = append(out, courses.Crumb{ID: p.ID, Name: p.DisplayName, Type: string(p.Type)})
	}
	return out
}

func prettyJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

// EditBlockPage saves the edit form. The form carries the version it was
// loaded from: if the block changed since, the page shows who changed what
// and offers to overwrite (the second submit carries the newer version).
func EditBlockPage(st coursePageStore, sessions SessionManager, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxBlockForm) {
			return
		}
		ctx, course, id := r.Context(), r.PathValue("course"), r.PathValue("block")
		name, raw, loaded := r.PostFormValue("display_name"), r.PostFormValue("fields"), r.PostFormValue("version")
		fields, typed, problems := mergeTypedFields(store.BlockType(r.PostFormValue("block_type")), raw, r.PostForm)
		keepInput := func(v *courses.CourseView) {
			v.Editor.DisplayName, v.Editor.Fields = name, raw
			if len(typed) > 0 {
				v.Editor.Typed = typed
			}
			v.Editor.Errors = problems
		}
		if len(problems) > 0 {
			renderCoursePage(w, r, st, now, id, http.StatusUnprocessableEntity, func(v *courses.CourseView) {
				keepInput(v)
				v.Editor.Version = loaded
			})
			return
		}
		b, err := st.UpdateBlock(ctx, course, id, store.BlockUpdate{DisplayName: &name, Fields: json.RawMessage(fields), IfMatch: loaded},
			mustActor(r), store.SourceUI)
		switch store.ErrorCode(err) {
		case "":
			flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Saved "+b.DisplayName+".", paths.CourseBlock(course, id))
		case store.EPrecondition:
			conflict, err := conflictSince(ctx, st, course, id, loaded, mustActor(r))
			if err != nil {
				Fail(w, r, err)
				return
			}
			renderCoursePage(w, r, st, now, id, http.StatusConflict, func(v *courses.CourseView) { keepInput(v); v.Editor.Conflict = conflict })
		case store.EInvalid, store.ETooLarge:
			renderCoursePage(w, r, st, now, id, statusOf(err), func(v *courses.CourseView) {
				keepInput(v)
				v.Editor.Version, v.Editor.Error = loaded, err.Error()
			})
		default:
			Fail(w, r, err)
		}
	})
}

// conflictSince tells who changed the block after version since, and how
// their current version differs from the one the form was loaded from.
func conflictSince(ctx context.Context, st coursePageStore, course, id, since string, a store.Actor) (*courses.Conflict, error) {
	later, err := st.CourseHistory(ctx, course, store.HistoryFilter{Block: id, After: since, Limit: 20}, a)
	if err != nil {
		return nil, err
	}
	c := &courses.Conflict{Changes: changeRows(later.Versions)}
	if len(later.Versions) == 0 {
		return c, nil
	}
	var loadedState *store.BlockState
	if since != "" {
		v, err := st.Version(ctx, course, since, a)
		if err != nil && store.ErrorCode(err) != store.ENotFound {
			return nil, err
		}
		loadedState = v.State()
	}
	c.Diff = diffRows(store.DiffStates(loadedState, later.Versions[0].State()), nil)
	return c, nil
}

func changeRows(vs []store.BlockVersion) []courses.ChangeRow {
	rows := make([]courses.ChangeRow, len(vs))
	for i, v := range vs {
		rows[i] = courses.ChangeRow{At: v.At, Actor: v.Actor.Name, Summary: v.Summary}
	}
	return rows
}

// diffRows shows a diff: values as text, children by name when names has one.
func diffRows(ds []store.FieldDiff, names map[string]string) []courses.DiffRow {
	rows := make([]courses.DiffRow, len(ds))
	for i, d := range ds {
		show := showJSON
		if d.Field == "children" {
			show = func(raw json.RawMessage) string { return nameList(raw, names) }
		}
		rows[i] = courses.DiffRow{Field: d.Field, Before: show(d.Before), After: show(d.After), Changed: d.Changed}
	}
	return rows
}

// showJSON renders a value: strings as their text, anything else as
// compact JSON; "" when absent.
func showJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// nameList shows a list of block ids one a line, each by its name if known.
func nameList(raw json.RawMessage, names map[string]string) string {
	var ids []string
	json.Unmarshal(raw, &ids)
	for i, id := range ids {
		if n, ok := names[id]; ok {
			ids[i] = n
		}
	}
	return strings.Join(ids, "\n")
}

// finishBlockAction answers the small block forms (add, reorder, delete):
// input a person can fix comes back as a flash on the block; a held lock
// and anything else go to Fail.
func finishBlockAction(w http.ResponseWriter, r *http.Request, sessions SessionManager, err error, okMsg, to string) {
	switch store.ErrorCode(err) {
	case "":
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, okMsg, to)
	case store.EInvalid, store.EPrecondition, store.ENotFound:
		msg := err.Error()
		if store.ErrorCode(err) == store.EPrecondition {
			msg = "Someone else changed this block meanwhile; look at it again and repeat your change."
		}
		flashAndRedirect(w, r, sessions, layout.FlashError, msg, paths.CourseBlock(r.PathValue("course"), r.PathValue("block")))
	default:
		Fail(w, r, err)
	}
}

// AddBlockPage adds a child to the selected block.
func AddBlockPage(st blockEditor, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxBlockForm) {
			return
		}
		course, parent := r.PathValue("course"), r.PathValue("block")
		b, err := st.CreateBlock(r.Context(), course, store.NewBlock{ParentID: parent, Type: store.BlockType(r.PostFormValue("type")),
			DisplayName: r.PostFormValue("display_name")}, mustActor(r), store.SourceUI)
		finishBlockAction(w, r, sessions, err, "Added "+b.DisplayName+".", paths.CourseBlock(course, b.ID))
	})
}

// ReorderBlockPage moves one child of the selected block up or down.
func ReorderBlockPage(st blockEditor, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxBlockForm) {
			return
		}
		ctx, course, id := r.Context(), r.PathValue("course"), r.PathValue("block")
		b, err := st.Block(ctx, course, id, mustActor(r))
		if err == nil {
			children := slices.Clone(b.Children)
			i := slices.Index(children, r.PostFormValue("child"))
			j := i - 1
			if r.PostFormValue("dir") == "down" {
				j = i + 1
			}
			if i >= 0 && j >= 0 && j < len(children) {
				children[i], children[j] = children[j], children[i]
			}
			_, err = st.ReorderChildren(ctx, course, id, children, r.PostFormValue("version"), mustActor(r), store.SourceUI)
		}
		finishBlockAction(w, r, sessions, err, "Moved.", paths.CourseBlock(course, id))
	})
}

// DeleteBlockPage deletes the selected block and its subtree.
func DeleteBlockPage(st blockEditor, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxBlockForm) {
			return
		}
		ctx, course, id := r.Context(), r.PathValue("course"), r.PathValue("block")
		b, err := st.Block(ctx, course, id, mustActor(r))
		if err == nil {
			err = st.DeleteBlock(ctx, course, id, r.PostFormValue("version"), mustActor(r), store.SourceUI)
		}
		finishBlockAction(w, r, sessions, err, "Deleted "+b.DisplayName+"; undo it from the change log if that was a mistake.",
			paths.CourseBlock(course, b.ParentID))
	})
}

// BlockChangesPage is polled while a block is open: it names the changes others
// made to it since the version the editor was loaded from.
func BlockChangesPage(st historyReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		course, id, since := r.PathValue("course"), r.PathValue("block"), r.URL.Query().Get("since")
		me := mustActor(r)
		later, err := st.CourseHistory(r.Context(), course, store.HistoryFilter{Block: id, After: since, Limit: 10}, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		n := courses.ChangesNotice{CourseKey: course, BlockID: id, Since: since}
		for _, v := range later.Versions {
			if v.Actor.Kind != me.Kind || v.Actor.ID != me.ID {
				n.Changes = append(n.Changes, courses.ChangeRow{At: v.At, Actor: v.Actor.Name, Summary: v.Summary})
			}
		}
		if len(n.Changes) > 0 { // none is the editor's first notice, of no version
			n.Version = pollVersion(n.Changes)
		}
		if pollUnchanged(w, r, n.Version) {
			return
		}
		render(w, r, http.StatusOK, courses.ChangesNoticeFragment(n))
	})
}

// blockLabel names a block for the change log's filter hint.
func blockLabel(o store.Outline, id string) string {
	var names []string
	for _, p := range o.Path(id) {
		names = append(names, p.DisplayName)
	}
	return strings.Join(names, " / ")
}

type staffKeeper interface {
	coursePageStore
	FindStaffCandidate(ctx context.Context, who string) (store.Actor, error)
	AddCourseStaff(ctx context.Context, key string, who store.Actor, by store.Actor) error
	RemoveCourseStaff(ctx context.Context, key string, kind store.ActorKind, id string, by store.Actor) (string, error)
}

// AddCourseStaffPage puts a person or API client on the course's staff;
// a name nobody has comes back on the form, as typed.
func AddCourseStaffPage(st staffKeeper, sessions SessionManager, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		course, typed := r.PathValue("course"), r.PostFormValue("who")
		who, err := st.FindStaffCandidate(r.Context(), typed)
		if err == nil {
			err = st.AddCourseStaff(r.Context(), course, who, mustActor(r))
		}
		if store.ErrorCode(err) == store.EInvalid {
			renderCoursePage(w, r, st, now, "", http.StatusUnprocessableEntity, func(v *courses.CourseView) {
				v.Staff.Who, v.Staff.Errors = typed, layout.FieldErrors{"who": err.Error()}
			})
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Added "+who.Name+" to the course staff.", paths.Course(course)+"#course-staff")
	})
}

// RemoveCourseStaffPage takes a person or API client off the course's staff.
func RemoveCourseStaffPage(st staffKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		course := r.PathValue("course")
		kind, err := store.ParseStaffKind(r.PostFormValue("kind"))
		var name string
		if err == nil {
			name, err = st.RemoveCourseStaff(r.Context(), course, kind, r.PostFormValue("id"), mustActor(r))
		}
		if refusedOnPage(w, r, sessions, err, paths.Course(course)) {
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Removed "+name+" from the course staff.", paths.Course(course)+"#course-staff")
	})
}
