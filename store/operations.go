package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Operation is one action on a course — a page action, an API request, an
// import job, an undo — with the versions it wrote.
type Operation struct {
	ID        string
	Seq       int64 // commit order within the course; the list's cursor
	CourseKey string
	Source    Source
	Actor     Actor
	At        time.Time
	Summary   string
	Changes   int      // versions written
	Blocks    int      // distinct blocks touched
	BlockIDs  []string // the first MaxOperationBlockIDs of them
	// Reverts is the operation this one undid; RevertsTo the instant a
	// course restore went back to.
	Reverts   string
	RevertsTo *time.Time
	// UndoneBy is the latest operation that reverted this one, if any.
	UndoneBy string
}

const operationColumns = `o.op_id, o.seq, o.course_key, o.source, o.actor_kind, o.actor_id, o.actor_name, o.at, o.summary,
	o.changes, o.blocks, o.block_ids, coalesce(o.reverts_op, ''), o.reverts_to,
	coalesce((SELECT u.op_id FROM course_operations u WHERE u.reverts_op = o.op_id ORDER BY u.seq DESC LIMIT 1), '')`

func scanOperation(row pgx.Row) (Operation, error) {
	var o Operation
	err := row.Scan(&o.ID, &o.Seq, &o.CourseKey, &o.Source, &o.Actor.Kind, &o.Actor.ID, &o.Actor.Name, &o.At, &o.Summary,
		&o.Changes, &o.Blocks, &o.BlockIDs, &o.Reverts, &o.RevertsTo, &o.UndoneBy)
	return o, err
}

// OperationFilter narrows a course's operations. Before is the keyset
// cursor: operations older than that one.
type OperationFilter struct {
	Actor  string // the actor's name: a person's email or a client's name
	Source Source
	Block  string // operations that wrote a version of this block
	Before OperationCursor
	Limit  int
}

// OperationCursor continues an operations list; zero is the newest page.
type OperationCursor int64

// String is the cursor as clients send it back; "" for the zero cursor.
func (c OperationCursor) String() string {
	if c == 0 {
		return ""
	}
	return strconv.FormatInt(int64(c), 10)
}

// ParseOperationCursor reads a cursor a client sent back; "" is the newest page.
func ParseOperationCursor(s string) (OperationCursor, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return 0, Errorf(EBadRequest, "The cursor %q is not one this list handed out; start again without it.", s)
	}
	return OperationCursor(n), nil
}

// OperationPage is one page of operations, newest first.
type OperationPage struct {
	Operations []Operation
	NextCursor OperationCursor // zero at the end
}

// CourseOperations pages through a course's operations, newest first. Each
// filter has an index that leads with it and ends in seq, so every page is
// one index range scan however deep it is.
func (s *Store) CourseOperations(ctx context.Context, course string, f OperationFilter, a Actor) (OperationPage, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return OperationPage{}, err
	}
	limit := pageLimit(f.Limit)
	args := []any{course}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"o.course_key = $1"}
	if f.Actor != "" {
		where = append(where, "o.actor_name = "+arg(f.Actor)) // course_operations_actor_idx
	}
	if f.Source != "" {
		where = append(where, "o.source = "+arg(string(f.Source))) // course_operations_source_idx
	}
	if f.Block != "" {
		where = append(where, "o.op_id IN (SELECT op_id FROM block_versions WHERE block_id = "+arg(f.Block)+")") // block_versions_block_idx
	}
	if f.Before != 0 {
		where = append(where, "o.seq < "+arg(int64(f.Before)))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+operationColumns+` FROM course_operations o WHERE `+strings.Join(where, " AND ")+
		` ORDER BY o.seq DESC LIMIT `+arg(limit+1), args...) // course_operations_course_idx without filters
	if err != nil {
		return OperationPage{}, fmt.Errorf("list operations of %s: %w", course, err)
	}
	ops, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Operation, error) { return scanOperation(r) })
	if err != nil {
		return OperationPage{}, fmt.Errorf("list operations of %s: %w", course, err)
	}
	var page OperationPage
	page.Operations, page.NextCursor = trimPage(ops, limit, func(o Operation) OperationCursor { return OperationCursor(o.Seq) })
	return page, nil
}

// CourseOperation returns one operation of the course.
func (s *Store) CourseOperation(ctx context.Context, course, opID string, a Actor) (Operation, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return Operation{}, err
	}
	return loadOperation(ctx, s.pool, course, opID)
}

// loadOperation reads an operation of the course. One of another course is
// not found either, and the answer names only the course asked about.
func loadOperation(ctx context.Context, q querier, course, opID string) (Operation, error) {
	o, err := scanOperation(q.QueryRow(ctx, `SELECT `+operationColumns+` FROM course_operations o
		WHERE o.op_id = $1 AND o.course_key = $2`, opID, course))
	if errors.Is(err, pgx.ErrNoRows) {
		return Operation{}, Errorf(ENotFound, "There is no operation %q in the course %s.", opID, course)
	}
	if err != nil {
		return Operation{}, fmt.Errorf("read operation %s: %w", opID, err)
	}
	return o, nil
}

// OperationVersions lists the versions an operation wrote, by block id
// (older blocks first), limit at a time after the block id after.
func (s *Store) OperationVersions(ctx context.Context, course, opID, after string, limit int, a Actor) ([]BlockVersion, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return nil, err
	}
	return operationVersions(ctx, s.pool, course, []string{opID}, "", after, limit)
}

// operationVersions reads up to limit versions of each of ops (only those
// of block, when set), by block id after the block id after;
// block_versions_op_idx serves each.
func operationVersions(ctx context.Context, q querier, course string, ops []string, block, after string, limit int) ([]BlockVersion, error) {
	rows, err := q.Query(ctx, `SELECT v.* FROM unnest($1::text[]) AS o(op_id)
		CROSS JOIN LATERAL (SELECT `+versionColumns+` FROM block_versions v
			WHERE v.op_id = o.op_id AND v.course_key = $2 AND v.block_id > $3 AND ($5 = '' OR v.block_id = $5)
			ORDER BY v.block_id, v.version_id LIMIT $4) v`,
		ops, course, after, limit, block)
	if err != nil {
		return nil, fmt.Errorf("read versions of operations: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (BlockVersion, error) { return scanVersion(r) })
}

// OperationPreviews returns, for each of ops, its first n versions (by block
// id; only those of block, when set) in one query: the per-block diffs a
// page of the change log unfolds.
func (s *Store) OperationPreviews(ctx context.Context, course string, ops []string, block string, n int, a Actor) (map[string][]BlockVersion, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return nil, err
	}
	vs, err := operationVersions(ctx, s.pool, course, ops, block, "", n)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]BlockVersion, len(ops))
	for _, v := range vs {
		out[v.OpID] = append(out[v.OpID], v)
	}
	return out, nil
}

// TreeBlock is a block of a course tree as it is now or was at an instant.
type TreeBlock struct {
	ID          string
	Type        BlockType
	DisplayName string
	Fields      json.RawMessage
	Children    []TreeBlock
}

// Count is the number of blocks in the tree.
func (t TreeBlock) Count() int {
	n := 1
	for _, c := range t.Children {
		n += c.Count()
	}
	return n
}

// CourseTree returns the course as nested blocks: as it is now (at nil) or
// as it was at an instant — every block in its newest state at or before
// it. An instant before the course existed is refused (422).
func (s *Store) CourseTree(ctx context.Context, course string, at *time.Time, a Actor) (TreeBlock, error) {
	c, err := authorizeCourse(ctx, s.pool, course, a, rightView, false)
	if err != nil {
		return TreeBlock{}, err
	}
	var states map[string]recordedState
	if at == nil {
		states, err = liveStates(ctx, s.pool, course)
	} else {
		if err := checkExisted(ctx, s.pool, course, *at); err != nil {
			return TreeBlock{}, err
		}
		states, err = statesAt(ctx, s.pool, course, *at)
	}
	if err != nil {
		return TreeBlock{}, err
	}
	return buildTree(states, c.RootBlockID), nil
}

// recordedState is a block's state as block_state() writes it, with the
// fields kept as the JSON they are.
type recordedState struct {
	Type        BlockType       `json:"type"`
	DisplayName string          `json:"display_name"`
	Fields      json.RawMessage `json:"fields"`
	ParentID    *string         `json:"parent_id"`
	Children    []string        `json:"children"`
}

func liveStates(ctx context.Context, q querier, course string) (map[string]recordedState, error) {
	return collectStates(q.Query(ctx, `SELECT b.id, block_state(b) FROM blocks b
		WHERE b.course_key = $1 AND b.deleted_in IS NULL`, course))
}

// statesAt reads every block of the course that was live at the instant, in
// the state of its newest version at or before it: one probe of
// block_versions_block_at_idx per block of the course.
func statesAt(ctx context.Context, q querier, course string, at time.Time) (map[string]recordedState, error) {
	return collectStates(q.Query(ctx, `SELECT b.id, v.after FROM blocks b
		CROSS JOIN LATERAL (SELECT after FROM block_versions v WHERE v.block_id = b.id AND v.created_at <= $2
			ORDER BY v.created_at DESC, v.version_id DESC LIMIT 1) v
		WHERE b.course_key = $1 AND v.after IS NOT NULL`, course, at))
}

func collectStates(rows pgx.Rows, err error) (map[string]recordedState, error) {
	if err != nil {
		return nil, fmt.Errorf("read block states: %w", err)
	}
	out := map[string]recordedState{}
	var id string
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error {
		var st recordedState
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("decode state of %s: %w", id, err)
		}
		out[id] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read block states: %w", err)
	}
	return out, nil
}

// buildTree nests states from the root down, in each block's child order.
func buildTree(states map[string]recordedState, id string) TreeBlock {
	st := states[id]
	t := TreeBlock{ID: id, Type: st.Type, DisplayName: st.DisplayName, Fields: st.Fields, Children: []TreeBlock{}}
	if len(t.Fields) == 0 {
		t.Fields = json.RawMessage("{}")
	}
	for _, c := range st.Children {
		if _, ok := states[c]; ok {
			t.Children = append(t.Children, buildTree(states, c))
		}
	}
	return t
}

// checkExisted refuses an instant before the course's first operation, its
// creation (course_operations_course_idx, read backwards).
func checkExisted(ctx context.Context, q querier, course string, at time.Time) error {
	var first time.Time
	err := q.QueryRow(ctx, `SELECT at FROM course_operations WHERE course_key = $1 ORDER BY seq LIMIT 1`, course).Scan(&first)
	if err != nil {
		return fmt.Errorf("find the creation of %s: %w", course, err)
	}
	if at.Before(first) {
		return &Error{Code: EInvalid, Reason: ReasonBeforeCourseExisted,
			Message: fmt.Sprintf("The course %s did not exist at %s: it was created at %s.", course,
				at.UTC().Format(time.RFC3339Nano), first.UTC().Format(time.RFC3339Nano)),
			Detail: CourseCreated(first)}
	}
	return nil
}
