package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// BlockVersion is one immutable entry of a course's change log.
type BlockVersion struct {
	VersionID string
	OpID      string
	CourseKey string
	BlockID   string
	Change    ChangeKind
	Source    Source
	Actor     Actor
	At        time.Time
	Summary   string
	Before    *BlockState // nil: the block did not exist (or was deleted) before
	After     *BlockState // nil: the block was deleted by this change
}

// State is what restoring this version writes back: the state after it, or
// for a delete the block as it was just before it went.
func (v BlockVersion) State() *BlockState {
	if v.After != nil {
		return v.After
	}
	return v.Before
}

const versionColumns = `version_id, op_id, course_key, block_id, change, source, actor_kind, actor_id, actor_name, created_at, summary, before, after`

func scanVersion(row pgx.Row) (BlockVersion, error) {
	var v BlockVersion
	var before, after []byte
	err := row.Scan(&v.VersionID, &v.OpID, &v.CourseKey, &v.BlockID, &v.Change, &v.Source, &v.Actor.Kind, &v.Actor.ID, &v.Actor.Name,
		&v.At, &v.Summary, &before, &after)
	v.Before, v.After = parseState(before), parseState(after)
	return v, err
}

// HistoryFilter narrows a course's change log. Before is the keyset cursor
// (entries older than that version); After keeps entries newer than a version.
type HistoryFilter struct {
	Block  string
	Actor  string // the actor's name: a person's email or a client's name
	Source Source
	Before string
	After  string
	Limit  int
}

// HistoryPage is one page of the change log, newest first.
type HistoryPage struct {
	Versions []BlockVersion
	// NextCursor continues with older entries; "" at the end.
	NextCursor string
}

// CourseHistory pages through a course's change log, newest first. Each
// filter has an index that leads with it and ends in version_id, so every
// page is an index range scan however deep it is.
func (s *Store) CourseHistory(ctx context.Context, course string, f HistoryFilter, a Actor) (HistoryPage, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return HistoryPage{}, err
	}
	// The cursor is a version id this list handed out; anything else would
	// silently page from a made-up point.
	if f.Before != "" && !IsID(f.Before) {
		return HistoryPage{}, Errorf(EBadRequest, "The cursor %q is not one this list handed out; start again without it.", f.Before)
	}
	return listVersions(ctx, s.pool, course, f)
}

func listVersions(ctx context.Context, q querier, course string, f HistoryFilter) (HistoryPage, error) {
	limit := pageLimit(f.Limit)
	args := []any{course}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"course_key = $1"}
	if f.Block != "" {
		where = append(where, "block_id = "+arg(f.Block))
	}
	if f.Actor != "" {
		where = append(where, "actor_name = "+arg(f.Actor))
	}
	if f.Source != "" {
		where = append(where, "source = "+arg(string(f.Source)))
	}
	if f.Before != "" {
		where = append(where, "version_id < "+arg(f.Before))
	}
	if f.After != "" {
		where = append(where, "version_id > "+arg(f.After))
	}
	rows, err := q.Query(ctx, `SELECT `+versionColumns+` FROM block_versions WHERE `+strings.Join(where, " AND ")+
		` ORDER BY version_id DESC LIMIT `+arg(limit+1), args...)
	if err != nil {
		return HistoryPage{}, fmt.Errorf("list history of %s: %w", course, err)
	}
	versions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BlockVersion, error) { return scanVersion(r) })
	if err != nil {
		return HistoryPage{}, fmt.Errorf("list history of %s: %w", course, err)
	}
	var page HistoryPage
	page.Versions, page.NextCursor = trimPage(versions, limit, func(v BlockVersion) string { return v.VersionID })
	return page, nil
}

// CourseActors lists the names of everyone who changed the course, for the
// filter menu. It skips through the actor index (one probe per name), so it
// costs as little on 200,000 entries as on 20.
func (s *Store) CourseActors(ctx context.Context, course string, a Actor) ([]string, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		WITH RECURSIVE names AS (
			(SELECT actor_name FROM block_versions WHERE course_key = $1 ORDER BY actor_name LIMIT 1)
			UNION ALL
			SELECT (SELECT v.actor_name FROM block_versions v WHERE v.course_key = $1 AND v.actor_name > names.actor_name
			        ORDER BY v.actor_name LIMIT 1)
			FROM names WHERE names.actor_name IS NOT NULL
		)
		SELECT actor_name FROM names WHERE actor_name IS NOT NULL`, course)
	if err != nil {
		return nil, fmt.Errorf("list actors of %s: %w", course, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Version returns one entry of a course's change log.
func (s *Store) Version(ctx context.Context, course, versionID string, a Actor) (BlockVersion, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return BlockVersion{}, err
	}
	return loadVersion(ctx, s.pool, course, versionID)
}

// loadVersion reads a version of the course. A version of another course is
// a well-formed request for something that cannot be done here: 422.
func loadVersion(ctx context.Context, q querier, course, versionID string) (BlockVersion, error) {
	v, err := scanVersion(q.QueryRow(ctx, `SELECT `+versionColumns+` FROM block_versions WHERE version_id = $1`, versionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return BlockVersion{}, Errorf(ENotFound, "There is no version %q.", versionID)
	}
	if err != nil {
		return BlockVersion{}, fmt.Errorf("read version %s: %w", versionID, err)
	}
	if v.CourseKey != course {
		return BlockVersion{}, &Error{Code: EInvalid, Reason: ReasonVersionOfOtherCourse,
			Message: fmt.Sprintf("The version %s belongs to the course %s, not %s.", versionID, v.CourseKey, course)}
	}
	return v, nil
}

// RestoreVersion writes a version's state back to its block as a new version
// (source undo, change restore). A deleted block comes back with the subtree
// deleted with it; a parent's children come back in that version's order.
func (s *Store) RestoreVersion(ctx context.Context, course, blockID, versionID string, by Actor) (Block, error) {
	var out Block
	err := s.editCourse(ctx, course, by, rightUndo, SourceUndo, nil, func(e *courseEdit) error {
		v, err := loadVersion(ctx, e.tx, course, versionID)
		if err != nil {
			return err
		}
		if v.BlockID != blockID {
			return &Error{Code: EInvalid, Reason: ReasonVersionOfOtherBlock,
				Message: fmt.Sprintf("The version %s is a version of block %s, not of %s.", versionID, v.BlockID, blockID)}
		}
		summary := fmt.Sprintf("Restored the version of %s by %s (%s)", v.At.UTC().Format("2006-01-02 15:04:05"), v.Actor.Name, v.Summary)
		out, err = e.applyState(ctx, blockID, v.State(), summary)
		return err
	})
	return out, err
}

// UndoVersion undoes one entry of the change log: its block goes back to the
// state before it (a created block is deleted again). The undo is itself a
// version, so it can be undone too.
func (s *Store) UndoVersion(ctx context.Context, course, versionID string, by Actor) (Block, error) {
	var out Block
	err := s.editCourse(ctx, course, by, rightUndo, SourceUndo, nil, func(e *courseEdit) error {
		v, err := loadVersion(ctx, e.tx, course, versionID)
		if err != nil {
			return err
		}
		out, err = e.applyState(ctx, v.BlockID, v.Before, "Undid: "+v.Summary)
		return err
	})
	return out, err
}

// applyState makes block id look like target (nil: deleted), noting a
// version for every block that changes, then commits the operation.
func (e *courseEdit) applyState(ctx context.Context, id string, target *BlockState, summary string) (Block, error) {
	b, before, err := loadBlock(ctx, e.tx, e.course, id)
	if err != nil {
		return Block{}, err
	}
	if target == nil {
		if b.Deleted {
			return Block{}, Errorf(EInvalid, "The %s is already deleted; there is nothing to undo.", label(b))
		}
		if _, err := e.deleteBlock(ctx, b); err != nil {
			return Block{}, err
		}
		return b, e.commit(ctx, AuditEntry{Action: "block.restore", SubjectType: "block", SubjectID: id, Summary: summary})
	}
	if b.Deleted {
		before = nil
		if err := e.putBack(ctx, b); err != nil {
			return Block{}, err
		}
		if err := e.reviveSubtree(ctx, b); err != nil {
			return Block{}, err
		}
		if b, _, err = loadBlock(ctx, e.tx, e.course, id); err != nil {
			return Block{}, err
		}
	}
	children, err := e.alignChildren(ctx, b, target.Children)
	if err != nil {
		return Block{}, err
	}
	fields, err := json.Marshal(target.Fields)
	if err != nil {
		return Block{}, fmt.Errorf("encode fields: %w", err)
	}
	if target.Fields == nil {
		fields = []byte("{}")
	}
	if _, err := e.tx.Exec(ctx, `UPDATE blocks SET display_name = $2, fields = $3, children = $4, updated_at = now() WHERE id = $1`,
		id, target.DisplayName, fields, children); err != nil {
		return Block{}, fmt.Errorf("restore block %s: %w", id, err)
	}
	e.note(id, ChangeRestore, summary, before)
	if err := e.commit(ctx, AuditEntry{Action: "block.restore", SubjectType: "block", SubjectID: id, Summary: summary}); err != nil {
		return Block{}, err
	}
	b, _, err = loadBlock(ctx, e.tx, e.course, id)
	return b, err
}

// putBack re-inserts deleted block b into its (live) parent's children where
// it stood when it was deleted.
func (e *courseEdit) putBack(ctx context.Context, b Block) error {
	parent, parentState, err := loadBlock(ctx, e.tx, e.course, b.ParentID)
	if err != nil {
		return err
	}
	if parent.Deleted {
		return &Error{Code: EInvalid, Reason: ReasonParentDeleted,
			Message: fmt.Sprintf("The %s was deleted together with %s: restore %s first.", label(b), label(parent), label(parent))}
	}
	var oldChildren []string
	err = e.tx.QueryRow(ctx, `SELECT coalesce(array(SELECT jsonb_array_elements_text(before->'children')), '{}')
		FROM block_versions WHERE op_id = $1 AND block_id = $2`, b.deletedIn, parent.ID).Scan(&oldChildren)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("find position of %s: %w", b.ID, err)
	}
	at := slices.Index(oldChildren, b.ID)
	if at < 0 || at > len(parent.Children) {
		at = len(parent.Children)
	}
	if _, err := e.tx.Exec(ctx, `UPDATE blocks SET children = $2, updated_at = now() WHERE id = $1`,
		parent.ID, slices.Insert(slices.Clone(parent.Children), at, b.ID)); err != nil {
		return fmt.Errorf("put back %s: %w", b.ID, err)
	}
	e.note(parent.ID, ChangeRestore, fmt.Sprintf("Put %s back into %s", label(b), label(parent)), parentState)
	return nil
}

// alignChildren makes b's live children the ones in want, in want's order:
// children not wanted are deleted (with their subtrees), wanted children
// that were deleted come back with theirs; ids that are no child of b are
// skipped. It returns the resulting children list.
func (e *courseEdit) alignChildren(ctx context.Context, b Block, want []string) ([]string, error) {
	for _, c := range b.Children {
		if slices.Contains(want, c) {
			continue
		}
		child, _, err := loadBlock(ctx, e.tx, e.course, c)
		if err != nil {
			return nil, err
		}
		if _, err := e.removeSubtree(ctx, child); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, c := range want {
		if slices.Contains(out, c) {
			continue
		}
		if slices.Contains(b.Children, c) {
			out = append(out, c)
			continue
		}
		child, _, err := loadBlock(ctx, e.tx, e.course, c)
		if ErrorCode(err) == ENotFound || (err == nil && (child.ParentID != b.ID || !child.Deleted)) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := e.reviveSubtree(ctx, child); err != nil {
			return nil, err
		}
		e.note(child.ID, ChangeRestore, fmt.Sprintf("Restored %s into %s", label(child), label(b)), nil)
		out = append(out, c)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// FieldDiff is one field of a block before and after a change, as JSON
// values: the display name a string, a field its value, the children an
// array of ids; nil where the field is absent.
type FieldDiff struct {
	Field         string // "display_name", "fields.<key>" or "children"
	Before, After json.RawMessage
	Changed       bool
}

// DiffStates compares two states field by field: the display name, each key
// of the fields, and the order of children. A nil state is a block that
// does not exist.
func DiffStates(before, after *BlockState) []FieldDiff {
	var b, a BlockState
	if before != nil {
		b = *before
	}
	if after != nil {
		a = *after
	}
	text := func(s string) json.RawMessage { raw, _ := json.Marshal(s); return raw }
	diffs := []FieldDiff{{Field: "display_name", Before: text(b.DisplayName), After: text(a.DisplayName), Changed: b.DisplayName != a.DisplayName}}
	var keys []string
	for k := range b.Fields {
		keys = append(keys, k)
	}
	for k := range a.Fields {
		if _, ok := b.Fields[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		bv, av := b.Fields[k], a.Fields[k]
		changed := (bv == nil) != (av == nil) || !bytes.Equal(normalJSON(bv), normalJSON(av))
		diffs = append(diffs, FieldDiff{Field: "fields." + k, Before: bv, After: av, Changed: changed})
	}
	if len(b.Children) > 0 || len(a.Children) > 0 {
		ids := func(cs []string) json.RawMessage { raw, _ := json.Marshal(nonNilIDs(cs)); return raw }
		diffs = append(diffs, FieldDiff{Field: "children", Before: ids(b.Children), After: ids(a.Children), Changed: !slices.Equal(b.Children, a.Children)})
	}
	return diffs
}

func nonNilIDs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
