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

// BlockType is what a block of a course is: the course itself, a container,
// or a leaf holding content.
type BlockType string

const (
	BlockCourse     BlockType = "course"
	BlockChapter    BlockType = "chapter"
	BlockSequential BlockType = "sequential"
	BlockVertical   BlockType = "vertical"
	BlockHTML       BlockType = "html"
	BlockProblem    BlockType = "problem"
	BlockVideo      BlockType = "video"
)

// allowedChildren is the hierarchy course → chapter → sequential → vertical →
// leaf. It mirrors the block_type_rules table, whose foreign key refuses a
// misplaced block on any path; this copy words the 422 and fills type menus.
var allowedChildren = map[BlockType][]BlockType{
	BlockCourse:     {BlockChapter},
	BlockChapter:    {BlockSequential},
	BlockSequential: {BlockVertical},
	BlockVertical:   {BlockHTML, BlockProblem, BlockVideo},
}

const hierarchyRule = "course → chapter → sequential → vertical → html | problem | video"

// AllowedChildTypes lists the types a block of type t may hold.
func AllowedChildTypes(t BlockType) []BlockType { return allowedChildren[t] }

// checkPlacement is the one check of the hierarchy every path that adds a block uses.
func checkPlacement(parent, child BlockType) error {
	if slices.Contains(allowedChildren[parent], child) {
		return nil
	}
	known := child == BlockCourse
	for _, ts := range allowedChildren {
		known = known || slices.Contains(ts, child)
	}
	if !known {
		return &Error{Code: EInvalid, Reason: ReasonUnknownBlockType,
			Message: fmt.Sprintf("Unknown block type %q: use chapter, sequential, vertical, html, problem or video.", child)}
	}
	msg := fmt.Sprintf("A %s cannot be placed in a %s: the hierarchy is %s", child, parent, hierarchyRule)
	if allowed := allowedChildren[parent]; len(allowed) > 0 {
		names := make([]string, len(allowed))
		for i, t := range allowed {
			names[i] = string(t)
		}
		msg += fmt.Sprintf(", so a %s holds only %s.", parent, strings.Join(names, ", "))
	} else {
		msg += fmt.Sprintf(", and a %s holds no blocks.", parent)
	}
	return &Error{Code: EInvalid, Reason: ReasonInvalidPlacement, Message: msg,
		Detail: PlacementRule(hierarchyRule)}
}

// ChangeKind is what a version did to its block.
type ChangeKind string

const (
	ChangeCreate  ChangeKind = "create"
	ChangeUpdate  ChangeKind = "update"
	ChangeMove    ChangeKind = "move" // the children list changed: added, removed or reordered
	ChangeDelete  ChangeKind = "delete"
	ChangeRestore ChangeKind = "restore"
)

// Block is one node of a course's tree as it is now.
type Block struct {
	ID          string
	CourseKey   string
	Type        BlockType
	DisplayName string
	Fields      json.RawMessage // always a JSON object
	ParentID    string          // "" for the course block
	Children    []string
	VersionID   string // the current version: the API's ETag
	Deleted     bool
	UpdatedAt   time.Time
	deletedIn   string // op_id of the delete that removed it
}

// BlockState is a block as a version records it: enough to show and restore it.
type BlockState struct {
	Type        BlockType                  `json:"type"`
	DisplayName string                     `json:"display_name"`
	Fields      map[string]json.RawMessage `json:"fields"`
	ParentID    *string                    `json:"parent_id"`
	Children    []string                   `json:"children"`
}

// NewBlock is the input of CreateBlock; nil Fields mean {}.
type NewBlock struct {
	ParentID    string
	Type        BlockType
	DisplayName string
	Fields      json.RawMessage
}

// BlockUpdate changes what is set. IfMatch, when set, is the version the
// change was made against: a newer current version refuses it (412).
type BlockUpdate struct {
	DisplayName *string
	Fields      json.RawMessage
	IfMatch     string
}

// MaxFieldsBytes bounds one block's fields.
const MaxFieldsBytes = 256 << 10

const blockColumns = `b.id, b.course_key, b.type, b.display_name, b.fields, coalesce(b.parent_id, ''), b.children,
	b.version_id, b.deleted_in IS NOT NULL, b.updated_at, coalesce(b.deleted_in, '')`

func scanBlock(row pgx.Row) (Block, error) {
	var b Block
	err := row.Scan(&b.ID, &b.CourseKey, &b.Type, &b.DisplayName, &b.Fields, &b.ParentID, &b.Children,
		&b.VersionID, &b.Deleted, &b.UpdatedAt, &b.deletedIn)
	return b, err
}

// validName trims a display name and checks it against the table's limits.
func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Errorf(EInvalid, "A block needs a display name.")
	}
	if err := tooLong("display name", name, MaxNameLength); err != nil {
		return "", err
	}
	return name, nil
}

// validFields checks that fields are a JSON object (nil means {}).
func validFields(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	if len(raw) > MaxFieldsBytes {
		return nil, Errorf(ETooLarge, "The fields are %d bytes; the limit is %d.", len(raw), MaxFieldsBytes)
	}
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		return nil, &Error{Code: EInvalid, Reason: ReasonInvalidFields, Message: `The fields must be a JSON object, such as {"body": "<p>Hello</p>"}.`}
	}
	return raw, nil
}

// loadBlock reads a block of the course, live or deleted, with its state.
func loadBlock(ctx context.Context, q querier, course, id string) (Block, []byte, error) {
	var state []byte
	var b Block
	err := q.QueryRow(ctx, `SELECT `+blockColumns+`, block_state(b) FROM blocks b WHERE b.id = $1 AND b.course_key = $2`, id, course).
		Scan(&b.ID, &b.CourseKey, &b.Type, &b.DisplayName, &b.Fields, &b.ParentID, &b.Children,
			&b.VersionID, &b.Deleted, &b.UpdatedAt, &b.deletedIn, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return Block{}, nil, Errorf(ENotFound, "There is no block %q in the course %s.", id, course)
	}
	if err != nil {
		return Block{}, nil, fmt.Errorf("read block %s: %w", id, err)
	}
	return b, state, nil
}

// liveBlock is loadBlock for blocks that must not be deleted.
func liveBlock(ctx context.Context, q querier, course, id string) (Block, []byte, error) {
	b, state, err := loadBlock(ctx, q, course, id)
	if err == nil && b.Deleted {
		err = Errorf(ENotFound, "The block %q was deleted; restore it from the course's change log.", id)
	}
	return b, state, err
}

func checkIfMatch(b Block, ifMatch string) error {
	if ifMatch == "" || ifMatch == b.VersionID {
		return nil
	}
	return &Error{Code: EPrecondition, Reason: ReasonVersionMismatch,
		Message: fmt.Sprintf("The block %q changed since version %s (it is now at %s): reload it and apply your change again.", b.ID, ifMatch, b.VersionID),
		Detail:  CurrentVersion(b.VersionID)}
}

// courseEdit is one operation on a course's blocks inside its transaction:
// it collects the versions the operation writes and records them, with the
// operation's row and its audit line, in commit.
type courseEdit struct {
	tx      pgx.Tx
	course  string
	by      Actor
	src     Source
	op      string
	pending []pendingVersion
	noted   map[string]int // block id → index in pending
	// reverts and revertsTo say what an undo went back to: an operation,
	// or an instant of the whole course.
	reverts   string
	revertsTo *time.Time
}

type pendingVersion struct {
	blockID   string
	versionID string
	change    ChangeKind
	summary   string
	before    []byte // the state before the operation; nil if it did not exist or was deleted
}

func newCourseEdit(tx pgx.Tx, course string, by Actor, src Source) *courseEdit {
	return &courseEdit{tx: tx, course: course, by: by, src: src, op: NewID(), noted: map[string]int{}}
}

// note queues a version of blockID and returns its id; its "after" state is
// read at commit. A block noted again in the same operation keeps one
// version: the state before the first note (what undoing the operation
// writes back) and the change and summary of the last. A statement that
// writes the block may set its version_id to the returned id itself, which
// spares commit a second write of the row — unless the block is to end the
// operation deleted without having existed before it, which writes no version.
func (e *courseEdit) note(blockID string, change ChangeKind, summary string, before []byte) string {
	if i, ok := e.noted[blockID]; ok {
		e.pending[i].change, e.pending[i].summary = change, summary
		return e.pending[i].versionID
	}
	e.noted[blockID] = len(e.pending)
	v := pendingVersion{blockID: blockID, versionID: NewID(), change: change, summary: summary, before: before}
	e.pending = append(e.pending, v)
	return v.versionID
}

// MaxOperationBlockIDs bounds the block ids an operation lists; its counts
// stay exact.
const MaxOperationBlockIDs = 100

// commit writes, in one statement, the operation's row and its versions —
// each with its block's state as it is now (NULL when deleted), skipping a
// block that neither existed before nor exists now — moves each block's
// version_id to its new version where its writer did not, and writes the
// audit line, whose summary is the operation's.
func (e *courseEdit) commit(ctx context.Context, audit AuditEntry) error {
	n := len(e.pending)
	ids, vids, changes, summaries := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	befores := make([]*string, n)
	for i, p := range e.pending {
		ids[i], vids[i], changes[i], summaries[i] = p.blockID, p.versionID, string(p.change), p.summary
		if p.before != nil {
			s := string(p.before)
			befores[i] = &s
		}
	}
	_, err := e.tx.Exec(ctx, `
		WITH x AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(block_id, version_id, change, summary, before, ord)
		), clock AS (
			SELECT clock_timestamp() AS at
		), v AS (
			INSERT INTO block_versions (version_id, op_id, course_key, block_id, change, source, actor_kind, actor_id, actor_name, created_at, summary, before, after)
			SELECT x.version_id, $6, $11, b.id, x.change, $7, $8, $9, $10, clock.at, x.summary, x.before::jsonb,
				CASE WHEN b.deleted_in IS NULL THEN block_state(b) END
			FROM x JOIN blocks b ON b.id = x.block_id CROSS JOIN clock
			WHERE x.before IS NOT NULL OR b.deleted_in IS NULL
			ORDER BY x.ord
			RETURNING block_id, version_id
		), op AS (
			INSERT INTO course_operations (op_id, course_key, source, actor_kind, actor_id, actor_name, at, summary, changes, blocks, block_ids, reverts_op, reverts_to)
			SELECT $6, $11, $7, $8, $9, $10, clock.at, $12, count(*), count(*), (array_agg(x.block_id ORDER BY x.ord))[1:$15::int], $13, $14
			FROM v JOIN x USING (version_id) CROSS JOIN clock
			GROUP BY clock.at
		)
		UPDATE blocks b SET version_id = v.version_id FROM v WHERE b.id = v.block_id AND b.version_id <> v.version_id`,
		ids, vids, changes, summaries, befores, e.op, e.src, e.by.Kind, e.by.ID, e.by.Name, e.course,
		audit.Summary, nullable(e.reverts), e.revertsTo, MaxOperationBlockIDs)
	if err != nil {
		return fmt.Errorf("record block versions: %w", err)
	}
	audit.Actor = e.by
	detail := map[string]any{"course": e.course, "op_id": e.op, "versions": n, "source": e.src}
	if d, ok := audit.Detail.(map[string]any); ok {
		for k, v := range d {
			detail[k] = v
		}
	}
	audit.Detail = detail
	return writeAudit(ctx, e.tx, audit)
}

// nullable maps "" to NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// editCourse runs fn as one operation on a course: it takes the course row
// lock (edits of one course are serialised, so a version check and the
// write it guards cannot interleave), checks a's right, and refuses while
// the course lock is held by bulk work — unless lease is that work's lease,
// whose fencing token is then checked in this same transaction.
func (s *Store) editCourse(ctx context.Context, key string, by Actor, right courseRight, src Source, lease *Lock, fn func(e *courseEdit) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if lease != nil {
			if err := s.checkFence(ctx, tx, *lease); err != nil {
				return err
			}
		}
		// Work under a lease was authorized when its request took the lease;
		// the fence proves it still holds it.
		authz := by
		if lease != nil {
			authz = SystemActor
		}
		if _, err := authorizeCourse(ctx, tx, key, authz, right, true); err != nil {
			return err
		}
		if lease == nil {
			if err := s.refuseIfLocked(ctx, tx, CourseLockName(key)); err != nil {
				return err
			}
		}
		return fn(newCourseEdit(tx, key, by, src))
	})
}

func label(b Block) string { return fmt.Sprintf("%s %q", b.Type, b.DisplayName) }

// Block returns a live block of a course a may see; a deleted block is not
// found (its versions stay in the course's change log).
func (s *Store) Block(ctx context.Context, course, id string, a Actor) (Block, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, a, rightView, false); err != nil {
		return Block{}, err
	}
	b, _, err := liveBlock(ctx, s.pool, course, id)
	return b, err
}

// CreateBlock adds a block as the last child of its parent.
func (s *Store) CreateBlock(ctx context.Context, course string, nb NewBlock, by Actor, src Source) (Block, error) {
	name, err := validName(nb.DisplayName)
	if err != nil {
		return Block{}, err
	}
	fields, err := validFields(nb.Fields)
	if err != nil {
		return Block{}, err
	}
	var out Block
	err = s.editCourse(ctx, course, by, rightEdit, src, nil, func(e *courseEdit) error {
		parent, parentState, err := liveBlock(ctx, e.tx, course, nb.ParentID)
		if err != nil {
			return err
		}
		if err := checkPlacement(parent.Type, nb.Type); err != nil {
			return err
		}
		id := NewID()
		if _, err := e.tx.Exec(ctx, `INSERT INTO blocks (id, course_key, type, display_name, fields, parent_id, parent_type, version_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, '')`, id, course, nb.Type, name, fields, parent.ID, parent.Type); err != nil {
			return fmt.Errorf("insert block: %w", err)
		}
		if _, err := e.tx.Exec(ctx, `UPDATE blocks SET children = children || $2::text, updated_at = now() WHERE id = $1`, parent.ID, id); err != nil {
			return fmt.Errorf("add child: %w", err)
		}
		created := fmt.Sprintf("Created %s %q in %s", nb.Type, name, label(parent))
		e.note(parent.ID, ChangeMove, fmt.Sprintf("Added %s %q to %s", nb.Type, name, label(parent)), parentState)
		e.note(id, ChangeCreate, created, nil)
		if err := e.commit(ctx, AuditEntry{Action: "block.create", SubjectType: "block", SubjectID: id, Summary: created}); err != nil {
			return err
		}
		out, _, err = loadBlock(ctx, e.tx, course, id)
		return err
	})
	return out, err
}

// UpdateBlock changes a block's display name or fields.
func (s *Store) UpdateBlock(ctx context.Context, course, id string, u BlockUpdate, by Actor, src Source) (Block, error) {
	var name *string
	if u.DisplayName != nil {
		n, err := validName(*u.DisplayName)
		if err != nil {
			return Block{}, err
		}
		name = &n
	}
	var fields json.RawMessage
	if u.Fields != nil {
		f, err := validFields(u.Fields)
		if err != nil {
			return Block{}, err
		}
		fields = f
	}
	var out Block
	err := s.editCourse(ctx, course, by, rightEdit, src, nil, func(e *courseEdit) error {
		b, before, err := liveBlock(ctx, e.tx, course, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(b, u.IfMatch); err != nil {
			return err
		}
		after, err := scanState(e.tx.QueryRow(ctx, `UPDATE blocks b SET display_name = coalesce($2, display_name), fields = coalesce($3, fields), updated_at = now()
			WHERE id = $1 RETURNING block_state(b)`, id, name, fields))
		if err != nil {
			return fmt.Errorf("update block: %w", err)
		}
		summary := updateSummary(b, parseState(before), after)
		e.note(id, ChangeUpdate, summary, before)
		if err := e.commit(ctx, AuditEntry{Action: "block.update", SubjectType: "block", SubjectID: id, Summary: summary}); err != nil {
			return err
		}
		out, _, err = loadBlock(ctx, e.tx, course, id)
		return err
	})
	return out, err
}

func updateSummary(b Block, before, after *BlockState) string {
	var changed []string
	for _, d := range DiffStates(before, after) {
		if d.Changed {
			changed = append(changed, d.Field)
		}
	}
	if len(changed) == 0 {
		return fmt.Sprintf("Saved %s without changes", label(b))
	}
	return fmt.Sprintf("Changed %s: %s", label(b), strings.Join(changed, ", "))
}

// ReorderChildren sets the order of a block's children; the list must be a
// permutation of the current children.
func (s *Store) ReorderChildren(ctx context.Context, course, id string, children []string, ifMatch string, by Actor, src Source) (Block, error) {
	var out Block
	err := s.editCourse(ctx, course, by, rightEdit, src, nil, func(e *courseEdit) error {
		b, before, err := liveBlock(ctx, e.tx, course, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(b, ifMatch); err != nil {
			return err
		}
		if !isPermutation(b.Children, children) {
			return &Error{Code: EInvalid, Reason: ReasonNotAPermutation,
				Message: fmt.Sprintf("The children must be the current %d children of %s in a new order, each once; reload the block and send its children reordered.", len(b.Children), label(b)),
				Detail:  CurrentChildren(b.Children)}
		}
		if _, err := e.tx.Exec(ctx, `UPDATE blocks SET children = $2, updated_at = now() WHERE id = $1`, id, children); err != nil {
			return fmt.Errorf("reorder children: %w", err)
		}
		summary := "Reordered the children of " + label(b)
		e.note(id, ChangeMove, summary, before)
		if err := e.commit(ctx, AuditEntry{Action: "block.move", SubjectType: "block", SubjectID: id, Summary: summary}); err != nil {
			return err
		}
		out, _, err = loadBlock(ctx, e.tx, course, id)
		return err
	})
	return out, err
}

func isPermutation(current, next []string) bool {
	if len(current) != len(next) {
		return false
	}
	a, b := slices.Clone(current), slices.Clone(next)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(b)) == len(next)
}

// DeleteBlock removes a block and everything inside it. The rows stay, marked
// deleted by this operation, so restoring the block brings back this subtree.
func (s *Store) DeleteBlock(ctx context.Context, course, id, ifMatch string, by Actor, src Source) error {
	return s.editCourse(ctx, course, by, rightEdit, src, nil, func(e *courseEdit) error {
		b, _, err := liveBlock(ctx, e.tx, course, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(b, ifMatch); err != nil {
			return err
		}
		summary, err := e.deleteBlock(ctx, b)
		if err != nil {
			return err
		}
		return e.commit(ctx, AuditEntry{Action: "block.delete", SubjectType: "block", SubjectID: id, Summary: summary})
	})
}

// deleteBlock removes b's subtree and takes b out of its parent's children.
func (e *courseEdit) deleteBlock(ctx context.Context, b Block) (string, error) {
	if b.Type == BlockCourse {
		return "", Errorf(EInvalid, "The course block cannot be deleted; delete its chapters instead.")
	}
	parent, parentState, err := loadBlock(ctx, e.tx, e.course, b.ParentID)
	if err != nil {
		return "", err
	}
	if _, err := e.tx.Exec(ctx, `UPDATE blocks SET children = array_remove(children, $2), updated_at = now() WHERE id = $1`, parent.ID, b.ID); err != nil {
		return "", fmt.Errorf("detach block: %w", err)
	}
	e.note(parent.ID, ChangeMove, fmt.Sprintf("Removed %s from %s", label(b), label(parent)), parentState)
	return e.removeSubtree(ctx, b)
}

// removeSubtree marks b and its live descendants deleted by this operation,
// set-based, and notes a delete version for each.
func (e *courseEdit) removeSubtree(ctx context.Context, b Block) (string, error) {
	rows, err := e.tx.Query(ctx, `
		WITH RECURSIVE sub AS (
			SELECT id, 0 AS depth FROM blocks WHERE id = $1 AND deleted_in IS NULL
			UNION ALL
			SELECT c.id, sub.depth + 1 FROM blocks c JOIN sub ON c.parent_id = sub.id WHERE c.deleted_in IS NULL
		)
		SELECT b.id, b.type, b.display_name, block_state(b) FROM blocks b JOIN sub USING (id) ORDER BY sub.depth DESC`, b.ID)
	if err != nil {
		return "", fmt.Errorf("find subtree of %s: %w", b.ID, err)
	}
	type removed struct {
		id    string
		typ   BlockType
		name  string
		state []byte
	}
	var subtree []removed
	var ids []string
	for rows.Next() {
		var r removed
		if err := rows.Scan(&r.id, &r.typ, &r.name, &r.state); err != nil {
			rows.Close()
			return "", fmt.Errorf("read subtree of %s: %w", b.ID, err)
		}
		subtree = append(subtree, r)
		ids = append(ids, r.id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read subtree of %s: %w", b.ID, err)
	}
	if _, err := e.tx.Exec(ctx, `UPDATE blocks SET deleted_in = $2, updated_at = now() WHERE id = ANY ($1)`, ids, e.op); err != nil {
		return "", fmt.Errorf("delete subtree of %s: %w", b.ID, err)
	}
	summary := "Deleted " + label(b)
	if n := len(subtree) - 1; n > 0 {
		summary += fmt.Sprintf(" and the %d blocks inside it", n)
	}
	for _, r := range subtree {
		if r.id == b.ID {
			e.note(r.id, ChangeDelete, summary, r.state)
		} else {
			e.note(r.id, ChangeDelete, fmt.Sprintf("Deleted %s %q with %s", r.typ, r.name, label(b)), r.state)
		}
	}
	return summary, nil
}

// reviveSubtree brings b back with the blocks deleted together with it (by
// the same operation), set-based, noting a restore version for each of them.
func (e *courseEdit) reviveSubtree(ctx context.Context, b Block) error {
	rows, err := e.tx.Query(ctx, `
		WITH RECURSIVE sub AS (
			SELECT id, deleted_in FROM blocks WHERE id = $1 AND deleted_in IS NOT NULL
			UNION ALL
			SELECT c.id, c.deleted_in FROM blocks c JOIN sub ON c.parent_id = sub.id AND c.deleted_in = sub.deleted_in
		)
		UPDATE blocks b SET deleted_in = NULL, updated_at = now() FROM sub WHERE b.id = sub.id
		RETURNING b.id, b.type, b.display_name`, b.ID)
	if err != nil {
		return fmt.Errorf("revive subtree of %s: %w", b.ID, err)
	}
	type revived struct {
		id   string
		typ  BlockType
		name string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (revived, error) {
		var v revived
		return v, r.Scan(&v.id, &v.typ, &v.name)
	})
	if err != nil {
		return fmt.Errorf("revive subtree of %s: %w", b.ID, err)
	}
	for _, r := range all {
		if r.id != b.ID {
			e.note(r.id, ChangeRestore, fmt.Sprintf("Restored %s %q with %s", r.typ, r.name, label(b)), nil)
		}
	}
	return nil
}

func scanState(row pgx.Row) (*BlockState, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		return nil, err
	}
	return parseState(raw), nil
}

// parseState decodes a recorded state; nil stands for "did not exist".
func parseState(raw []byte) *BlockState {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var st BlockState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil
	}
	return &st
}

// Outline is every block of a course, live and deleted, for drawing the tree
// and naming blocks in the change log.
type Outline struct {
	Course Course
	Blocks map[string]Block
}

// CourseOutline reads a course's blocks in one query.
func (s *Store) CourseOutline(ctx context.Context, course string, a Actor) (Outline, error) {
	c, err := authorizeCourse(ctx, s.pool, course, a, rightView, false)
	if err != nil {
		return Outline{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+blockColumns+` FROM blocks b WHERE b.course_key = $1`, course)
	if err != nil {
		return Outline{}, fmt.Errorf("read blocks of %s: %w", course, err)
	}
	blocks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Block, error) { return scanBlock(r) })
	if err != nil {
		return Outline{}, fmt.Errorf("read blocks of %s: %w", course, err)
	}
	o := Outline{Course: c, Blocks: make(map[string]Block, len(blocks))}
	for _, b := range blocks {
		o.Blocks[b.ID] = b
	}
	return o, nil
}

// Path lists the blocks from the course block down to id.
func (o Outline) Path(id string) []Block {
	var path []Block
	for b, ok := o.Blocks[id]; ok && len(path) <= len(o.Blocks); b, ok = o.Blocks[b.ParentID] {
		path = append(path, b)
	}
	slices.Reverse(path)
	return path
}

// Names maps every block id to its display name.
func (o Outline) Names() map[string]string {
	names := make(map[string]string, len(o.Blocks))
	for id, b := range o.Blocks {
		names[id] = b.DisplayName
	}
	return names
}
