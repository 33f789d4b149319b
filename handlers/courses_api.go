package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatplan/seatplan/handlers/etag"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/paths"
)

type courseCreator interface {
	CreateCourse(ctx context.Context, key, title string, by store.Actor, src store.Source) (store.Course, error)
}

// CreateCourseAPI answers POST /api/v1/courses {"key","title"}.
func CreateCourseAPI(st courseCreator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body CourseRequest
		if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
			Fail(w, r, err)
			return
		}
		c, err := st.CreateCourse(r.Context(), body.Key, body.Title, mustActor(r), store.SourceAPI)
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", paths.APICourse(c.Key))
		writeJSON(w, http.StatusCreated, Course{Key: c.Key, Title: c.Title, RootBlockID: c.RootBlockID})
	})
}

type blockEditor interface {
	Block(ctx context.Context, course, id string, a store.Actor) (store.Block, error)
	CreateBlock(ctx context.Context, course string, nb store.NewBlock, by store.Actor, src store.Source) (store.Block, error)
	UpdateBlock(ctx context.Context, course, id string, u store.BlockUpdate, by store.Actor, src store.Source) (store.Block, error)
	ReorderChildren(ctx context.Context, course, id string, children []string, ifMatch string, by store.Actor, src store.Source) (store.Block, error)
	DeleteBlock(ctx context.Context, course, id, ifMatch string, by store.Actor, src store.Source) error
	RestoreVersion(ctx context.Context, course, blockID, versionID string, by store.Actor) (store.Block, error)
}

// writeBlock answers with a block and its version as the ETag.
func writeBlock(w http.ResponseWriter, status int, b store.Block) {
	w.Header().Set("ETag", etag.Strong(b.VersionID))
	writeJSON(w, status, blockOut(b))
}

// blockPrecondition evaluates a write's If-Match (strong comparison, so W/
// and empty tags match nothing; "*" matches the existing block) and
// If-None-Match (any match, "*" included, refuses the write) against the
// block as it is now. It returns the version the store must still find as
// it writes, so a change in between is refused too, or "" when the request
// sets no condition: then the last write wins.
func blockPrecondition(r *http.Request, st blockEditor) (string, error) {
	ifMatch, hasIfMatch := etag.Field(r.Header, "If-Match")
	ifNoneMatch, hasIfNoneMatch := etag.Field(r.Header, "If-None-Match")
	if !hasIfMatch && !hasIfNoneMatch {
		return "", nil
	}
	b, err := st.Block(r.Context(), r.PathValue("course"), r.PathValue("block"), mustActor(r))
	if err != nil {
		return "", err
	}
	current := etag.Strong(b.VersionID)
	refuse := func(why string) error {
		return &store.Error{Code: store.EPrecondition, Reason: store.ReasonVersionMismatch,
			Message: fmt.Sprintf("The block %q is at version %s, %s: reload it and apply your change again.", b.ID, b.VersionID, why),
			Detail:  store.CurrentVersion(b.VersionID)}
	}
	if hasIfMatch && !etag.MatchStrong(ifMatch, current) {
		return "", refuse(`which If-Match does not name (it takes "*" or the block's ETag; weak and empty entity-tags match nothing)`)
	}
	if hasIfNoneMatch && etag.MatchWeak(ifNoneMatch, current) {
		return "", refuse("which If-None-Match excludes")
	}
	return b.VersionID, nil
}

// CreateBlockAPI answers POST /api/v1/courses/{course}/blocks.
func CreateBlockAPI(st blockEditor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body NewBlockRequest
		if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
			Fail(w, r, err)
			return
		}
		b, err := st.CreateBlock(r.Context(), r.PathValue("course"), store.NewBlock{ParentID: body.ParentID, Type: store.BlockType(body.Type),
			DisplayName: body.DisplayName, Fields: body.Fields}, mustActor(r), store.SourceAPI)
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", paths.APIBlock(b.CourseKey, b.ID))
		writeBlock(w, http.StatusCreated, b)
	})
}

// BlockAPI answers GET /api/v1/courses/{course}/blocks/{block}, or 304
// when If-None-Match names the block's current ETag.
func BlockAPI(st blockEditor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := st.Block(r.Context(), r.PathValue("course"), r.PathValue("block"), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		if inm, ok := etag.Field(r.Header, "If-None-Match"); ok && etag.MatchWeak(inm, etag.Strong(b.VersionID)) {
			w.Header().Set("ETag", etag.Strong(b.VersionID))
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeBlock(w, http.StatusOK, b)
	})
}

// UpdateBlockAPI answers PATCH /api/v1/courses/{course}/blocks/{block}
// {"display_name"?, "fields"?}; a stale If-Match is refused with 412.
func UpdateBlockAPI(st blockEditor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body BlockUpdateRequest
		if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
			Fail(w, r, err)
			return
		}
		version, err := blockPrecondition(r, st)
		if err != nil {
			Fail(w, r, err)
			return
		}
		b, err := st.UpdateBlock(r.Context(), r.PathValue("course"), r.PathValue("block"),
			store.BlockUpdate{DisplayName: body.DisplayName, Fields: body.Fields, IfMatch: version}, mustActor(r), store.SourceAPI)
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeBlock(w, http.StatusOK, b)
	})
}

// DeleteBlockAPI answers DELETE /api/v1/courses/{course}/blocks/{block}: the
// block and its subtree go, 204.
func DeleteBlockAPI(st blockEditor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		version, err := blockPrecondition(r, st)
		if err == nil {
			err = st.DeleteBlock(r.Context(), r.PathValue("course"), r.PathValue("block"), version, mustActor(r), store.SourceAPI)
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// ReorderChildrenAPI answers PUT /api/v1/courses/{course}/blocks/{block}/children {"children":[ids]}.
func ReorderChildrenAPI(st blockEditor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body ChildrenRequest
		if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
			Fail(w, r, err)
			return
		}
		version, err := blockPrecondition(r, st)
		if err != nil {
			Fail(w, r, err)
			return
		}
		b, err := st.ReorderChildren(r.Context(), r.PathValue("course"), r.PathValue("block"), body.Children, version, mustActor(r), store.SourceAPI)
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeBlock(w, http.StatusOK, b)
	})
}

// RestoreBlockAPI answers POST /api/v1/courses/{course}/blocks/{block}/restore {"version_id"}.
func RestoreBlockAPI(st blockEditor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body RestoreVersionRequest
		if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
			Fail(w, r, err)
			return
		}
		if body.VersionID == "" {
			Fail(w, r, store.Errorf(store.EInvalid, `Name the version to restore: {"version_id": "…"}.`))
			return
		}
		b, err := st.RestoreVersion(r.Context(), r.PathValue("course"), r.PathValue("block"), body.VersionID, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeBlock(w, http.StatusOK, b)
	})
}

type historyReader interface {
	CourseHistory(ctx context.Context, course string, f store.HistoryFilter, a store.Actor) (store.HistoryPage, error)
}

// historyFilter reads the change log's query parameters, shared by the page and the API.
func historyFilter(r *http.Request) (store.HistoryFilter, error) {
	q := r.URL.Query()
	f := store.HistoryFilter{Block: q.Get("block"), Actor: q.Get("actor"), Source: store.Source(q.Get("source")), Before: q.Get("cursor")}
	switch f.Source {
	case "", store.SourceUI, store.SourceAPI, store.SourceImport, store.SourceUndo:
	default:
		return f, store.Errorf(store.EBadRequest, "Unknown source %q: use ui, api, import or undo.", f.Source)
	}
	limit, err := pageSize(q)
	f.Limit = limit
	return f, err
}

// HistoryAPI answers GET /api/v1/courses/{course}/history, newest first.
func HistoryAPI(st historyReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := historyFilter(r)
		if err != nil {
			Fail(w, r, err)
			return
		}
		page, err := st.CourseHistory(r.Context(), r.PathValue("course"), f, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		out := HistoryList{Items: make([]HistoryItem, len(page.Versions)), NextCursor: optional(page.NextCursor)}
		for i, v := range page.Versions {
			out.Items[i] = historyItemOut(v)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

type operationReader interface {
	CourseOperations(ctx context.Context, course string, f store.OperationFilter, a store.Actor) (store.OperationPage, error)
	CourseOperation(ctx context.Context, course, opID string, a store.Actor) (store.Operation, error)
}

// operationFilter reads the operations list's query parameters, shared by
// the change log page and the API.
func operationFilter(r *http.Request) (store.OperationFilter, error) {
	q := r.URL.Query()
	f := store.OperationFilter{Block: q.Get("block"), Actor: q.Get("actor"), Source: store.Source(q.Get("source"))}
	switch f.Source {
	case "", store.SourceUI, store.SourceAPI, store.SourceImport, store.SourceUndo:
	default:
		return f, store.Errorf(store.EBadRequest, "Unknown source %q: use ui, api, import or undo.", f.Source)
	}
	cursor, err := store.ParseOperationCursor(q.Get("cursor"))
	if err != nil {
		return f, err
	}
	f.Before = cursor
	limit, err := pageSize(q)
	f.Limit = limit
	return f, err
}

// pageSize reads a list's limit parameter: 0 when absent (the store's
// default), 400 outside 1..store.MaxPageLimit.
func pageSize(q url.Values) (int, error) {
	l := q.Get("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > store.MaxPageLimit {
		return 0, store.Errorf(store.EBadRequest, "The limit must be a number from 1 to %d.", store.MaxPageLimit)
	}
	return n, nil
}

// parseInstant reads an instant a client names, in RFC 3339. It forgives
// what a query string does to one: a "+" offset sent unescaped arrives as a
// space, and RFC 3339 lets a space stand for the "T".
func parseInstant(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, store.Errorf(store.EBadRequest, "Name the instant, in RFC 3339 such as 2026-03-01T12:00:00Z.")
	}
	fixed := []byte(s)
	if len(fixed) > 10 && fixed[10] == ' ' {
		fixed[10] = 'T'
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(string(fixed), " ", "+"))
	if err != nil {
		return time.Time{}, store.Errorf(store.EBadRequest, "%q is not an RFC 3339 instant such as 2026-03-01T12:00:00Z.", s)
	}
	return t, nil
}

// formatInstant writes an instant as parseInstant reads it, to the microsecond.
func formatInstant(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// OperationsAPI answers GET /api/v1/courses/{course}/operations?actor=&source=&block=&cursor=&limit=, newest first.
func OperationsAPI(st operationReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := operationFilter(r)
		if err != nil {
			Fail(w, r, err)
			return
		}
		page, err := st.CourseOperations(r.Context(), r.PathValue("course"), f, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		out := OperationList{Items: make([]OperationBody, len(page.Operations)), NextCursor: optional(page.NextCursor.String())}
		for i, o := range page.Operations {
			out.Items[i] = operationOut(o)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// OperationAPI answers GET /api/v1/courses/{course}/operations/{op}.
func OperationAPI(st operationReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := st.CourseOperation(r.Context(), r.PathValue("course"), r.PathValue("op"), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, operationOut(o))
	})
}

type courseReverter interface {
	RevertOperation(ctx context.Context, course, opID string, force bool, by store.Actor) (store.RevertResult, error)
	RestoreCourse(ctx context.Context, course string, at time.Time, by store.Actor) (store.RevertResult, error)
	CourseTree(ctx context.Context, course string, at *time.Time, a store.Actor) (store.TreeBlock, error)
}

// RevertOperationAPI answers POST /api/v1/courses/{course}/operations/{op}/revert
// {"force"?}: 200 with the undo operation, 409 listing later changes to the
// same blocks unless force.
func RevertOperationAPI(st courseReverter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body RevertRequest
		if r.ContentLength != 0 { // the body is optional
			if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
				Fail(w, r, err)
				return
			}
		}
		res, err := st.RevertOperation(r.Context(), r.PathValue("course"), r.PathValue("op"), body.Force, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Reverted{OpID: res.OpID, Reverted: res.Reverted})
	})
}

// RestoreCourseAPI answers POST /api/v1/courses/{course}/revert {"at"}: the
// whole course back to that instant, as one operation.
func RestoreCourseAPI(st courseReverter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body CourseRevertRequest
		if err := decodeJSON(w, r, MaxJSONBody, &body); err != nil {
			Fail(w, r, err)
			return
		}
		at, err := parseInstant(body.At)
		if err != nil {
			Fail(w, r, err)
			return
		}
		res, err := st.RestoreCourse(r.Context(), r.PathValue("course"), at, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Reverted{OpID: res.OpID, Reverted: res.Reverted})
	})
}

// CourseTreeAPI answers GET /api/v1/courses/{course}/tree?at=: the course as
// nested blocks, as it was at that instant or as it is now.
func CourseTreeAPI(st courseReverter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var at *time.Time
		if s, ok := r.URL.Query()["at"]; ok {
			t, err := parseInstant(s[0])
			if err != nil {
				Fail(w, r, err)
				return
			}
			at = &t
		}
		tree, err := st.CourseTree(r.Context(), r.PathValue("course"), at, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, treeOut(tree))
	})
}
