package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/courses"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
)

type historyPageStore interface {
	historyReader
	operationReader
	CourseOutline(ctx context.Context, course string, a store.Actor) (store.Outline, error)
	CourseActors(ctx context.Context, course string, a store.Actor) ([]string, error)
	CanUndoInCourse(ctx context.Context, course string, a store.Actor) (bool, error)
	Version(ctx context.Context, course, versionID string, a store.Actor) (store.BlockVersion, error)
	UndoVersion(ctx context.Context, course, versionID string, by store.Actor) (store.Block, error)
	OperationPreviews(ctx context.Context, course string, ops []string, block string, n int, a store.Actor) (map[string][]store.BlockVersion, error)
	OperationVersions(ctx context.Context, course, opID, after string, limit int, a store.Actor) ([]store.BlockVersion, error)
}

// historyPageSize is the number of operations on one page of the change log.
const historyPageSize = 50

// opPreviewSize is how many per-block diffs a row of the change log unfolds;
// the operation's own page lists the rest.
const opPreviewSize = 5

// HistoryPage is the change log of a course: filters, newest-first keyset
// pages of operations, each one row that unfolds into its per-block diffs
// and offers undo, restore and a look at the course as it was.
func HistoryPage(st historyPageStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		f, err := operationFilter(r)
		if err != nil {
			Fail(w, r, err)
			return
		}
		f.Limit = historyPageSize
		o, err := st.CourseOutline(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		page, err := st.CourseOperations(ctx, course, f, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		ids := make([]string, len(page.Operations))
		for i, op := range page.Operations {
			ids[i] = op.ID
		}
		previews, err := st.OperationPreviews(ctx, course, ids, f.Block, opPreviewSize, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		actors, err := st.CourseActors(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		canUndo, err := st.CanUndoInCourse(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := courses.HistoryView{Base: basePage(r, "Change log · "+o.Course.Title), Key: course, Title: o.Course.Title,
			Block: f.Block, Actor: f.Actor, Source: string(f.Source), Blocks: blockOptions(o, f.Block), Actors: actors, CanUndo: canUndo}
		names := o.Names()
		for _, op := range page.Operations {
			v.Operations = append(v.Operations, operationRow(o, names, op, previews[op.ID]))
		}
		if f.Before != 0 {
			v.Pager.PrevURL = historyPageURL(course, f, 0)
		}
		if page.NextCursor != 0 {
			v.Pager.NextURL = historyPageURL(course, f, page.NextCursor)
		}
		render(w, r, http.StatusOK, courses.HistoryPage(v))
	})
}

// blockOptions is the block picker: the course's live blocks in tree
// order, indented by depth, plus the selected block if it is deleted.
func blockOptions(o store.Outline, selected string) []courses.BlockOption {
	var out []courses.BlockOption
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		b, ok := o.Blocks[id]
		if !ok || b.Deleted || depth > len(o.Blocks) {
			return
		}
		out = append(out, courses.BlockOption{ID: b.ID, Label: strings.Repeat("\u00a0\u00a0", depth) + b.DisplayName + " · " + string(b.Type)})
		for _, c := range b.Children {
			walk(c, depth+1)
		}
	}
	walk(o.Course.RootBlockID, 0)
	if b, ok := o.Blocks[selected]; ok && b.Deleted {
		out = append(out, courses.BlockOption{ID: b.ID, Label: blockLabel(o, b.ID) + " · " + string(b.Type) + " (deleted)"})
	}
	return out
}

func operationRow(o store.Outline, names map[string]string, op store.Operation, versions []store.BlockVersion) courses.OperationRow {
	row := courses.OperationRow{OpID: op.ID, Source: string(op.Source), Actor: op.Actor.Name, Summary: op.Summary, At: op.At,
		Changes: op.Changes, Blocks: op.Blocks, More: op.Changes - len(versions), UndoneBy: op.UndoneBy, Reverts: op.Reverts,
		ThenAt: formatInstant(op.At), BeforeAt: formatInstant(op.At.Add(-time.Microsecond))}
	for _, v := range versions {
		row.Entries = append(row.Entries, entryOf(o, names, v))
	}
	return row
}

func entryOf(o store.Outline, names map[string]string, v store.BlockVersion) courses.Entry {
	return courses.Entry{VersionID: v.VersionID, BlockID: v.BlockID, Change: string(v.Change), Source: string(v.Source),
		Actor: v.Actor.Name, Summary: v.Summary, At: v.At, Path: crumbs(o, v.BlockID),
		Diff: diffRows(store.DiffStates(v.Before, v.After), names)}
}

// historyPageURL keeps the filters; a zero cursor is the newest page.
func historyPageURL(course string, f store.OperationFilter, cursor store.OperationCursor) string {
	return paths.CourseHistory(course, url.Values{"block": {f.Block}, "actor": {f.Actor}, "source": {string(f.Source)}, "cursor": {cursor.String()}})
}

// operationPageSize is the number of block changes on an operation's page.
const operationPageSize = 50

// OperationPage shows one operation with every block change it made, paged
// by block id (?after=).
func OperationPage(st historyPageStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		after := r.URL.Query().Get("after")
		op, err := st.CourseOperation(ctx, course, r.PathValue("op"), me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		o, err := st.CourseOutline(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		versions, err := st.OperationVersions(ctx, course, op.ID, after, operationPageSize+1, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		canUndo, err := st.CanUndoInCourse(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := courses.OperationView{Base: basePage(r, op.Summary), Key: course, Title: o.Course.Title, CanUndo: canUndo}
		shown := versions[:min(len(versions), operationPageSize)]
		v.Op = operationRow(o, o.Names(), op, shown)
		if after != "" {
			v.Pager.PrevURL = paths.Operation(course, op.ID, "")
		}
		if len(versions) > operationPageSize {
			v.Pager.NextURL = paths.Operation(course, op.ID, shown[len(shown)-1].BlockID)
		}
		render(w, r, http.StatusOK, courses.OperationPage(v))
	})
}

type revertPageStore interface {
	CourseOutline(ctx context.Context, course string, a store.Actor) (store.Outline, error)
	CourseOperation(ctx context.Context, course, opID string, a store.Actor) (store.Operation, error)
	PreviewRevert(ctx context.Context, course, opID string, a store.Actor) (store.RevertPreview, error)
	RevertOperation(ctx context.Context, course, opID string, force bool, by store.Actor) (store.RevertResult, error)
}

// UndoOperationPreview shows what undoing an operation writes and who
// changed the same blocks since, before anything happens.
func UndoOperationPreview(st revertPageStore, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderUndoPreview(w, r, st, sessions, http.StatusOK, "")
	})
}

// renderUndoPreview draws the preview; refusal says why a confirmed undo
// did not happen. One with nothing left to undo goes back to the change log.
func renderUndoPreview(w http.ResponseWriter, r *http.Request, st revertPageStore, sessions SessionManager, status int, refusal string) {
	ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
	p, err := st.PreviewRevert(ctx, course, r.PathValue("op"), me)
	if store.ErrorCode(err) == store.EInvalid {
		flashAndRedirect(w, r, sessions, layout.FlashError, err.Error(), historyPageURL(course, store.OperationFilter{}, 0))
		return
	}
	if err != nil {
		Fail(w, r, err)
		return
	}
	o, err := st.CourseOutline(ctx, course, me)
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := courses.UndoOperationView{Base: basePage(r, "Undo this change?"), Key: course, Op: operationRow(o, nil, *p.Op, nil),
		Changes: plannedRows(o, p.Changes), Deletes: p.Deletes, Restores: p.Restores, Updates: p.Updates,
		More: p.Unlisted, LaterBlocks: p.ConflictBlocks, Repairs: p.Repairs, Error: refusal}
	for _, c := range p.Conflicts {
		if n := len(v.Later); n > 0 && v.Later[n-1].OpID == c.OpID {
			v.Later[n-1].Blocks++
			continue
		}
		v.Later = append(v.Later, courses.LaterOperation{OpID: c.OpID, Actor: c.Actor, Source: string(c.Source), Summary: c.Summary, At: c.At, Blocks: 1})
	}
	render(w, r, status, courses.UndoOperationPage(v))
}

func plannedRows(o store.Outline, cs []store.PlannedChange) []courses.PlannedRow {
	names := o.Names()
	rows := make([]courses.PlannedRow, len(cs))
	for i, c := range cs {
		rows[i] = courses.PlannedRow{Change: string(c.Change), Type: string(c.Type), Name: c.Name, BlockID: c.BlockID, Inside: c.Inside,
			Diff: diffRows(store.DiffStates(c.Before, c.After), names)}
	}
	return rows
}

// UndoOperation undoes an operation as the preview showed it; force=1 is
// the second confirmation that overwrites later changes. If someone changed
// the same blocks meanwhile, the preview comes back with them.
func UndoOperation(st revertPageStore, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		op, err := st.CourseOperation(ctx, course, r.PathValue("op"), me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		_, err = st.RevertOperation(ctx, course, op.ID, r.PostFormValue("force") == "1", me)
		_, locked := errors.AsType[*store.ErrLocked](err)
		switch code := store.ErrorCode(err); {
		case err == nil:
			flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Undid “"+op.Summary+"”. The undo is in the change log and can be undone too.",
				historyPageURL(course, store.OperationFilter{}, 0))
		case code == store.EConflict && !locked:
			renderUndoPreview(w, r, st, sessions, http.StatusConflict, err.Error())
		case code == store.EInvalid:
			flashAndRedirect(w, r, sessions, layout.FlashError, err.Error(), historyPageURL(course, store.OperationFilter{}, 0))
		default:
			Fail(w, r, err)
		}
	})
}

type restorePageStore interface {
	CourseOutline(ctx context.Context, course string, a store.Actor) (store.Outline, error)
	CourseOperation(ctx context.Context, course, opID string, a store.Actor) (store.Operation, error)
	CourseTree(ctx context.Context, course string, at *time.Time, a store.Actor) (store.TreeBlock, error)
	CanUndoInCourse(ctx context.Context, course string, a store.Actor) (bool, error)
	PreviewRestore(ctx context.Context, course string, at time.Time, a store.Actor) (store.RevertPreview, error)
	RestoreCourse(ctx context.Context, course string, at time.Time, by store.Actor) (store.RevertResult, error)
}

// RestorePreview shows the course as it was at ?at= and what restoring it
// writes, and asks to confirm.
func RestorePreview(st restorePageStore, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		at, err := parseInstant(r.URL.Query().Get("at"))
		if err != nil {
			Fail(w, r, err)
			return
		}
		p, err := st.PreviewRestore(ctx, course, at, me)
		if e, ok := errors.AsType[*store.Error](err); ok && e.Reason == store.ReasonNothingToUndo {
			flashAndRedirect(w, r, sessions, layout.FlashInfo, "Nothing changed since then: the course is already as it was.", historyPageURL(course, store.OperationFilter{}, 0))
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		o, err := st.CourseOutline(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		tree, err := st.CourseTree(ctx, course, &at, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := courses.RestoreView{Base: basePage(r, "Restore the course?"), Key: course, Title: o.Course.Title, At: at, AtParam: formatInstant(at),
			Tree: pastNode(tree), Changes: plannedRows(o, p.Changes), Deletes: p.Deletes, Restores: p.Restores, Updates: p.Updates,
			More: p.Unlisted}
		render(w, r, http.StatusOK, courses.RestorePage(v))
	})
}

// RestoreCoursePage restores the course to the confirmed instant.
func RestoreCoursePage(st restorePageStore, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		at, err := parseInstant(r.PostFormValue("at"))
		if err != nil {
			Fail(w, r, err)
			return
		}
		_, err = st.RestoreCourse(ctx, course, at, me)
		switch store.ErrorCode(err) {
		case "":
			flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Restored the course to how it was at "+at.UTC().Format("2006-01-02 15:04:05 UTC")+
				". The restore is in the change log and can be undone too.", paths.Course(course))
		case store.EInvalid:
			flashAndRedirect(w, r, sessions, layout.FlashError, err.Error(), historyPageURL(course, store.OperationFilter{}, 0))
		default:
			Fail(w, r, err)
		}
	})
}

// PastTreePage shows the course as it was at ?at=, read only.
func PastTreePage(st restorePageStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		at, err := parseInstant(r.URL.Query().Get("at"))
		if err != nil {
			Fail(w, r, err)
			return
		}
		c, err := st.CourseOutline(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		tree, err := st.CourseTree(ctx, course, &at, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		canUndo, err := st.CanUndoInCourse(ctx, course, me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		render(w, r, http.StatusOK, courses.PastTreePage(courses.PastTreeView{Base: basePage(r, c.Course.Title+" as it was"), Key: course,
			Title: c.Course.Title, At: at, AtParam: formatInstant(at), Tree: pastNode(tree), Blocks: tree.Count(), CanUndo: canUndo}))
	})
}

func pastNode(t store.TreeBlock) courses.PastNode {
	n := courses.PastNode{ID: t.ID, Name: t.DisplayName, Type: string(t.Type)}
	if f := string(t.Fields); f != "{}" && f != "" {
		n.Fields = f
	}
	for _, c := range t.Children {
		n.Children = append(n.Children, pastNode(c))
	}
	return n
}

// UndoPage undoes one entry. If the block changed after it, it first shows
// what the undo would overwrite and asks once more (confirm=1).
func UndoPage(st historyPageStore, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxBlockForm) {
			return
		}
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		v, err := st.Version(ctx, course, r.PathValue("version"), me)
		if err != nil {
			Fail(w, r, err)
			return
		}
		if r.PostFormValue("confirm") != "1" {
			later, err := st.CourseHistory(ctx, course, store.HistoryFilter{Block: v.BlockID, After: v.VersionID, Limit: 20}, me)
			if err != nil {
				Fail(w, r, err)
				return
			}
			if len(later.Versions) > 0 {
				o, err := st.CourseOutline(ctx, course, me)
				if err != nil {
					Fail(w, r, err)
					return
				}
				names := o.Names()
				cv := courses.UndoConfirmView{Base: basePage(r, "Undo?"), Key: course, Entry: entryOf(o, names, v),
					Later:     changeRows(later.Versions),
					Overwrite: diffRows(store.DiffStates(later.Versions[0].After, v.Before), names)}
				render(w, r, http.StatusOK, courses.UndoConfirmPage(cv))
				return
			}
		}
		if _, err := st.UndoVersion(ctx, course, v.VersionID, me); err != nil {
			if store.ErrorCode(err) == store.EInvalid {
				flashAndRedirect(w, r, sessions, layout.FlashError, err.Error(), historyPageURL(course, store.OperationFilter{}, 0))
				return
			}
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Undid: "+v.Summary+". This undo is in the log too and can be undone.",
			historyPageURL(course, store.OperationFilter{}, 0))
	})
}
