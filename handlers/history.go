package handlers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/courses"
	"github.com/seatplan/seatplan/views/layout"
)

type historyPageStore interface {
	historyReader
	CourseOutline(ctx context.Context, course string, a store.Actor) (store.Outline, error)
	CourseActors(ctx context.Context, course string, a store.Actor) ([]string, error)
	CanUndoInCourse(ctx context.Context, course string, a store.Actor) (bool, error)
	Version(ctx context.Context, course, versionID string, a store.Actor) (store.BlockVersion, error)
	UndoVersion(ctx context.Context, course, versionID string, by store.Actor) (store.Block, error)
}

// historyPageSize is the number of entries on one page of the change log.
const historyPageSize = 50

// HistoryPage is the change log of a course: filters, newest-first keyset
// pages, each entry expandable into its field-level diff, and Undo.
func HistoryPage(st historyPageStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, course, me := r.Context(), r.PathValue("course"), mustActor(r)
		f, err := historyFilter(r)
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
		page, err := st.CourseHistory(ctx, course, f, me)
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
			Block: f.Block, Actor: f.Actor, Source: string(f.Source), Actors: actors, CanUndo: canUndo}
		if f.Block != "" {
			v.BlockName = blockLabel(o, f.Block)
		}
		names := o.Names()
		for _, ver := range page.Versions {
			v.Entries = append(v.Entries, entryOf(o, names, ver))
		}
		if f.Before != "" {
			v.Pager.PrevURL = historyPageURL(course, f, "")
		}
		if page.NextCursor != "" {
			v.Pager.NextURL = historyPageURL(course, f, page.NextCursor)
		}
		render(w, r, http.StatusOK, courses.HistoryPage(v))
	})
}

func entryOf(o store.Outline, names map[string]string, v store.BlockVersion) courses.Entry {
	return courses.Entry{VersionID: v.VersionID, BlockID: v.BlockID, Change: string(v.Change), Source: string(v.Source),
		Actor: v.Actor.Name, Summary: v.Summary, At: v.At, Path: crumbs(o, v.BlockID),
		Diff: diffRows(store.DiffStates(v.Before, v.After, names))}
}

// historyPageURL keeps the filters; an empty cursor is the newest page.
func historyPageURL(course string, f store.HistoryFilter, cursor string) string {
	q := url.Values{}
	for k, v := range map[string]string{"block": f.Block, "actor": f.Actor, "source": string(f.Source), "cursor": cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u := "/courses/" + url.PathEscape(course) + "/history"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
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
					Overwrite: diffRows(store.DiffStates(later.Versions[0].After, v.Before, names))}
				render(w, r, http.StatusOK, courses.UndoConfirmPage(cv))
				return
			}
		}
		if _, err := st.UndoVersion(ctx, course, v.VersionID, me); err != nil {
			if store.ErrorCode(err) == store.EInvalid {
				flashAndRedirect(w, r, sessions, layout.FlashError, err.Error(), historyPageURL(course, store.HistoryFilter{}, ""))
				return
			}
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Undid: "+v.Summary+". This undo is in the log too and can be undone.",
			historyPageURL(course, store.HistoryFilter{}, ""))
	})
}
