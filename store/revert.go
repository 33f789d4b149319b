package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Undoing a whole operation, or the whole course back to an instant: every
// block concerned gets a target state (nil: not live), a planner works out
// what else must change for the tree to stay whole, and one statement
// writes it all as a new operation with source undo.
//
// Reverting an operation targets, for each block it touched, the state just
// before it. Unless forced, a revert is refused while a later operation has
// changed any of those blocks. Forced, each touched block gets its earlier
// state all the same, as a single-block restore would write it: children it
// did not have then go with their subtrees, children it had then come back
// with theirs — and a block that comes back under a parent someone deleted
// since brings that parent back too (only the parent, holding what is
// restored into it), up to a live ancestor.
//
// Restoring the course to an instant targets every block changed since, in
// its state at that instant. The blocks not changed since are already in
// that state, so the result is the course as it was.

// RevertConflict is a later operation's change to a block the reverted
// operation touched.
type RevertConflict struct {
	BlockID string
	OpID    string
	Actor   string
	At      time.Time
	Source  Source
	Summary string
}

// maxConflictsListed bounds the later changes a refusal lists.
const maxConflictsListed = 100

// MaxPreviewChanges bounds the block changes a preview describes one by one.
const MaxPreviewChanges = 50

// RevertPreview says what a revert or a course restore would write.
type RevertPreview struct {
	Op      *Operation // the operation to undo; nil for a restore to an instant
	At      *time.Time // the instant a restore goes back to
	Changes []PlannedChange
	// Deletes, Restores and Updates count every planned change; Unlisted
	// those Changes does not describe.
	Deletes, Restores, Updates, Unlisted int
	// Conflicts are later changes to the same blocks; ConflictBlocks counts
	// those blocks. Undoing over them needs force.
	Conflicts      []RevertConflict
	ConflictBlocks int
	// Repairs say what else changes to keep the tree whole over them.
	Repairs []string
}

// Total is the number of blocks the revert writes.
func (p RevertPreview) Total() int { return p.Deletes + p.Restores + p.Updates }

// PlannedChange is one block a revert writes: it is deleted or comes back
// (with the blocks inside it), or gets earlier values.
type PlannedChange struct {
	BlockID string
	Type    BlockType
	Name    string
	Change  ChangeKind // ChangeDelete, ChangeRestore (it comes back) or ChangeUpdate
	Inside  int        // blocks inside it deleted or brought back with it
	Before  *BlockState
	After   *BlockState
}

// RevertResult is the undo operation a revert or restore wrote.
type RevertResult struct {
	OpID     string
	Reverted int // blocks written back
}

// RevertOperation undoes operation opID of the course as one new operation.
// Later changes to the same blocks refuse it (409 with the conflicts) unless
// force is set.
func (s *Store) RevertOperation(ctx context.Context, course, opID string, force bool, by Actor) (RevertResult, error) {
	var res RevertResult
	err := s.editCourse(ctx, course, by, rightUndo, SourceUndo, nil, func(e *courseEdit) error {
		p, op, err := planRevert(ctx, e.tx, course, opID)
		if err != nil {
			return err
		}
		if p.conflictBlocks > 0 && !force {
			return conflictError(op, p)
		}
		if err := p.resolve(force); err != nil {
			return err
		}
		e.reverts = op.ID
		summary := fmt.Sprintf("Undid “%s” by %s (%s)", op.Summary, op.Actor.Name, op.At.UTC().Format("2006-01-02 15:04:05 UTC"))
		res, err = p.apply(ctx, e, AuditEntry{Action: "course.revert", SubjectType: "course", SubjectID: course,
			Summary: summary, Detail: map[string]any{"reverted_op": op.ID, "forced": force, "later_changes_overwritten": p.conflictBlocks}})
		return err
	})
	return res, err
}

// PreviewRevert says what RevertOperation would write, and what later
// changes it would overwrite, without writing anything.
func (s *Store) PreviewRevert(ctx context.Context, course, opID string, a Actor) (RevertPreview, error) {
	var out RevertPreview
	err := s.readCourse(ctx, course, a, rightUndo, func(tx pgx.Tx) error {
		p, op, err := planRevert(ctx, tx, course, opID)
		if err != nil {
			return err
		}
		if err := p.resolve(true); err != nil {
			return err
		}
		out, err = p.preview()
		out.Op = &op
		return err
	})
	return out, err
}

// RestoreCourse writes the course back to how it was at the instant, as one
// new operation.
func (s *Store) RestoreCourse(ctx context.Context, course string, at time.Time, by Actor) (RevertResult, error) {
	var res RevertResult
	err := s.editCourse(ctx, course, by, rightUndo, SourceUndo, nil, func(e *courseEdit) error {
		p, err := planRestore(ctx, e.tx, course, at)
		if err != nil {
			return err
		}
		if err := p.resolve(true); err != nil {
			return err
		}
		e.revertsTo = &at
		when := at.UTC().Format("2006-01-02 15:04:05.000000 UTC")
		res, err = p.apply(ctx, e, AuditEntry{Action: "course.restore", SubjectType: "course", SubjectID: course,
			Summary: "Restored the course to how it was at " + when, Detail: map[string]any{"restored_to": at}})
		return err
	})
	return res, err
}

// PreviewRestore says what RestoreCourse would write, without writing.
func (s *Store) PreviewRestore(ctx context.Context, course string, at time.Time, a Actor) (RevertPreview, error) {
	var out RevertPreview
	err := s.readCourse(ctx, course, a, rightUndo, func(tx pgx.Tx) error {
		p, err := planRestore(ctx, tx, course, at)
		if err != nil {
			return err
		}
		if err := p.resolve(true); err != nil {
			return err
		}
		out, err = p.preview()
		out.At = &at
		return err
	})
	return out, err
}

// readCourse runs fn in a read-only snapshot of the course, for previews.
func (s *Store) readCourse(ctx context.Context, course string, a Actor, right courseRight, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := authorizeCourse(ctx, tx, course, a, right, false); err != nil {
			return err
		}
		return fn(tx)
	})
}

func conflictError(op Operation, p *revertPlanner) error {
	msg := fmt.Sprintf("Later changes touched %d of the blocks that “%s” changed: undoing it would overwrite them. Review them, then undo again with force to overwrite.",
		p.conflictBlocks, op.Summary)
	if op.UndoneBy != "" {
		msg = fmt.Sprintf("This change was already undone (by operation %s); undoing it again would overwrite that undo and any change since. Undo with force to do it anyway.", op.UndoneBy)
	}
	return &Error{Code: EConflict, Reason: ReasonLaterChanges, Message: msg, Detail: LaterChanges{Conflicts: p.conflicts}}
}

// blockRow is a block as it is now, as the planner reads it.
type blockRow struct {
	id, parentID, deletedIn string
	typ                     BlockType
	name                    string
	fields                  json.RawMessage
	children                []string
	live                    bool
	state                   []byte // block_state(b): a version's "before"
}

func (r *blockRow) label() string { return fmt.Sprintf("%s %q", r.typ, r.name) }

const blockRowColumns = `b.id, coalesce(b.parent_id, ''), coalesce(b.deleted_in, ''), b.type, b.display_name, b.fields,
	b.children, b.deleted_in IS NULL, block_state(b)`

// scanTargets are where a row of blockRowColumns goes.
func (r *blockRow) scanTargets() []any {
	return []any{&r.id, &r.parentID, &r.deletedIn, &r.typ, &r.name, &r.fields, &r.children, &r.live, &r.state}
}

// finalState is what a block is to be: live with these values, or not live.
type finalState struct {
	live     bool
	name     string
	fields   json.RawMessage
	children []string
	repair   string // why the planner added it; "" for a target
}

type revertPlanner struct {
	ctx    context.Context
	q      querier
	course string
	rows   map[string]*blockRow
	final  map[string]*finalState
	order  []string // ids in the order they joined final
	// conflicts lists later changes; conflictBlocks counts their blocks.
	conflicts      []RevertConflict
	conflictBlocks int
	repairs        []string
	// positionsBefore holds what loadPositions found.
	positionsBefore map[positionKey][]string
}

func newPlanner(ctx context.Context, q querier, course string) *revertPlanner {
	return &revertPlanner{ctx: ctx, q: q, course: course, rows: map[string]*blockRow{}, final: map[string]*finalState{},
		positionsBefore: map[positionKey][]string{}}
}

// planRevert targets every block opID touched at its state just before it,
// and finds the later changes to them: a block changed since is one whose
// current version is not the one the operation wrote.
func planRevert(ctx context.Context, q querier, course, opID string) (*revertPlanner, Operation, error) {
	op, err := loadOperation(ctx, q, course, opID)
	if err != nil {
		return nil, Operation{}, err
	}
	// With each block's current row, which the planner reads anyway.
	rows, err := q.Query(ctx, `
		SELECT t.before, t.last, b.version_id <> t.last, `+blockRowColumns+`
		FROM (SELECT block_id, (array_agg(before ORDER BY version_id))[1] AS before, max(version_id) AS last
		      FROM block_versions WHERE op_id = $1 GROUP BY block_id) t
		JOIN blocks b ON b.id = t.block_id AND b.course_key = $2
		ORDER BY t.block_id`, opID, course) // block_versions_op_idx
	if err != nil {
		return nil, Operation{}, fmt.Errorf("read versions of operation %s: %w", opID, err)
	}
	p := newPlanner(ctx, q, course)
	var changed, since []string
	var last string
	var before []byte
	var isChanged bool
	var r blockRow
	_, err = pgx.ForEachRow(rows, append([]any{&before, &last, &isChanged}, r.scanTargets()...), func() error {
		row := r
		p.rows[row.id] = &row
		if err := p.target(row.id, before); err != nil {
			return err
		}
		if isChanged {
			changed, since = append(changed, row.id), append(since, last)
		}
		return nil
	})
	if err != nil {
		return nil, Operation{}, fmt.Errorf("read versions of operation %s: %w", opID, err)
	}
	for _, id := range p.order {
		if r := p.rows[id]; r != nil && r.typ == BlockCourse && !p.final[id].live {
			return nil, Operation{}, Errorf(EInvalid, "“%s” created the course; a course cannot be undone out of existence.", op.Summary)
		}
	}
	p.conflictBlocks = len(changed)
	if len(changed) > 0 {
		if p.conflicts, err = laterChanges(ctx, q, changed, since); err != nil {
			return nil, Operation{}, err
		}
	}
	return p, op, nil
}

// laterChanges lists the changes made to each block after the version
// since (block_versions_block_idx), oldest first, at most maxConflictsListed.
func laterChanges(ctx context.Context, q querier, blocks, since []string) ([]RevertConflict, error) {
	rows, err := q.Query(ctx, `
		SELECT v.block_id, o.op_id, o.actor_name, o.at, o.source, o.summary
		FROM unnest($1::text[], $2::text[]) AS c(block_id, since)
		CROSS JOIN LATERAL (SELECT block_id, op_id FROM block_versions v WHERE v.block_id = c.block_id AND v.version_id > c.since
		                    ORDER BY v.version_id LIMIT $3) v
		JOIN course_operations o ON o.op_id = v.op_id
		ORDER BY o.seq, v.block_id LIMIT $3`, blocks, since, maxConflictsListed)
	if err != nil {
		return nil, fmt.Errorf("list later changes: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RevertConflict, error) {
		var c RevertConflict
		return c, r.Scan(&c.BlockID, &c.OpID, &c.Actor, &c.At, &c.Source, &c.Summary)
	})
}

// planRestore targets every block changed after the instant at its state
// then: a block whose current version is newer than the instant.
func planRestore(ctx context.Context, q querier, course string, at time.Time) (*revertPlanner, error) {
	if err := checkExisted(ctx, q, course, at); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `
		SELECT b.id, past.after FROM blocks b
		JOIN block_versions cur ON cur.version_id = b.version_id
		LEFT JOIN LATERAL (SELECT after FROM block_versions v WHERE v.block_id = b.id AND v.created_at <= $2
		                   ORDER BY v.created_at DESC, v.version_id DESC LIMIT 1) past ON true
		WHERE b.course_key = $1 AND cur.created_at > $2
		ORDER BY b.id`, course, at) // blocks_course_idx, then block_versions_block_at_idx per block
	if err != nil {
		return nil, fmt.Errorf("read changes to %s since %s: %w", course, at, err)
	}
	p := newPlanner(ctx, q, course)
	var id string
	var then []byte
	if _, err := pgx.ForEachRow(rows, []any{&id, &then}, func() error { return p.target(id, then) }); err != nil {
		return nil, fmt.Errorf("read changes to %s since %s: %w", course, at, err)
	}
	return p, p.loadRows(p.order)
}

// target sets a block's target from a recorded state (NULL: not live).
func (p *revertPlanner) target(id string, raw []byte) error {
	f := &finalState{}
	if len(raw) > 0 && string(raw) != "null" {
		var st recordedState
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("decode state of %s: %w", id, err)
		}
		f = &finalState{live: true, name: st.DisplayName, fields: st.Fields, children: st.Children}
		if len(f.fields) == 0 {
			f.fields = json.RawMessage("{}")
		}
	}
	p.add(id, f)
	return nil
}

func (p *revertPlanner) add(id string, f *finalState) {
	if _, ok := p.final[id]; !ok {
		p.order = append(p.order, id)
	}
	p.final[id] = f
	if f.repair != "" {
		p.repairs = append(p.repairs, f.repair)
	}
}

// loadRows reads the current rows of the blocks not read yet, in one query.
func (p *revertPlanner) loadRows(ids []string) error {
	var missing []string
	for _, id := range ids {
		if _, ok := p.rows[id]; !ok && id != "" {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := p.q.Query(p.ctx, `SELECT `+blockRowColumns+` FROM blocks b WHERE b.course_key = $1 AND b.id = ANY ($2)`, p.course, missing)
	if err != nil {
		return fmt.Errorf("read blocks: %w", err)
	}
	var r blockRow
	_, err = pgx.ForEachRow(rows, r.scanTargets(), func() error {
		row := r
		p.rows[row.id] = &row
		return nil
	})
	if err != nil {
		return fmt.Errorf("read blocks: %w", err)
	}
	for _, id := range missing {
		if _, ok := p.rows[id]; !ok {
			p.rows[id] = nil // no such block in this course
		}
	}
	return nil
}

// resolve completes the plan so the tree stays whole. Without allowRepairs
// any change beyond the targets is refused, naming the block concerned.
func (p *revertPlanner) resolve(allowRepairs bool) error {
	if err := p.alignChildren(); err != nil {
		return err
	}
	if err := p.attachToParents(allowRepairs); err != nil {
		return err
	}
	if !allowRepairs && len(p.repairs) > 0 {
		return &Error{Code: EConflict, Reason: ReasonLaterChanges,
			Message: "Undoing this would break the course tree: " + p.repairs[0] + ". Undo with force to do that as well.",
			Detail:  LaterChanges{Conflicts: p.conflicts, Repairs: p.repairs}}
	}
	return nil
}

// alignChildren gives every block to be live exactly its planned children:
// listed children that are deleted come back with the subtree deleted with
// them, live children not listed go with their subtrees, ids that are no
// child of the block are dropped. Blocks that go take their live subtrees.
func (p *revertPlanner) alignChildren() error {
	work := slices.Clone(p.order)
	for len(work) > 0 {
		var ids []string
		for _, id := range work {
			if r := p.rows[id]; r != nil {
				ids = append(ids, r.children...)
			}
			if f := p.final[id]; f.live {
				ids = append(ids, f.children...)
			}
		}
		if err := p.loadRows(ids); err != nil {
			return err
		}
		var next []string
		for _, id := range work {
			r, f := p.rows[id], p.final[id]
			if r == nil {
				continue
			}
			if !f.live {
				for _, c := range r.children {
					cr := p.rows[c]
					if cr == nil || !cr.live || cr.parentID != id {
						continue
					}
					if cf, ok := p.final[c]; ok && cf.live {
						return Errorf(EConflict, "Undoing this would keep %s while deleting %s, which holds it.", cr.label(), r.label())
					} else if !ok {
						p.add(c, &finalState{})
						next = append(next, c)
					}
				}
				continue
			}
			var out []string
			for _, c := range dedupe(f.children) {
				cr := p.rows[c]
				if cr == nil || cr.parentID != id {
					continue
				}
				if cf, ok := p.final[c]; ok {
					if cf.live {
						out = append(out, c)
					}
					continue
				}
				if !cr.live {
					p.add(c, &finalState{live: true, name: cr.name, fields: cr.fields, children: cr.children,
						repair: fmt.Sprintf("%s comes back into %s, which held it then", cr.label(), r.label())})
					next = append(next, c)
				}
				out = append(out, c)
			}
			if r.live {
				for _, c := range r.children {
					if _, ok := p.final[c]; !ok && !slices.Contains(out, c) {
						cr := p.rows[c]
						p.add(c, &finalState{repair: fmt.Sprintf("%s is deleted from %s, which did not hold it then", cr.label(), r.label())})
						next = append(next, c)
					}
				}
			}
			if out == nil {
				out = []string{}
			}
			f.children = out
		}
		work = next
	}
	return nil
}

// attachToParents makes sure every block to be live is listed by a live
// parent: one put back into a live parent that lost it goes where it stood,
// and a deleted parent comes back (holding only what is restored into it)
// when repairs are allowed; otherwise it is refused, naming that parent.
func (p *revertPlanner) attachToParents(allowRepairs bool) error {
	work := slices.Clone(p.order)
	for len(work) > 0 {
		var parents []string
		for _, id := range work {
			if r := p.rows[id]; r != nil {
				parents = append(parents, r.parentID)
			}
		}
		if err := p.loadRows(parents); err != nil {
			return err
		}
		if err := p.loadPositions(work); err != nil {
			return err
		}
		var next []string
		for _, id := range work {
			r, f := p.rows[id], p.final[id]
			if r == nil || !f.live || r.parentID == "" {
				continue
			}
			pr := p.rows[r.parentID]
			if pr == nil {
				return fmt.Errorf("block %s has no parent row %s", id, r.parentID)
			}
			pf, planned := p.final[pr.id]
			switch {
			case planned && !pf.live:
				return Errorf(EConflict, "Undoing this would bring back %s inside %s, which it also deletes.", r.label(), pr.label())
			case planned:
				if !slices.Contains(pf.children, id) {
					pf.children = insertInOrder(pf.children, id, p.positions(r, pr))
				}
			case pr.live:
				if !slices.Contains(pr.children, id) {
					p.add(pr.id, &finalState{live: true, name: pr.name, fields: pr.fields, children: insertInOrder(slices.Clone(pr.children), id, p.positions(r, pr)),
						repair: fmt.Sprintf("%s goes back into %s", r.label(), pr.label())})
				}
			default:
				if !allowRepairs {
					return &Error{Code: EConflict, Reason: ReasonLaterChanges,
						Message: fmt.Sprintf("Undoing this would bring %s back into %s (%s), which was deleted since. Undo with force to bring %s back too.",
							r.label(), pr.label(), pr.id, pr.label()),
						Detail: LaterChanges{Conflicts: p.conflicts, BlockID: pr.id}}
				}
				p.add(pr.id, &finalState{live: true, name: pr.name, fields: pr.fields, children: []string{id},
					repair: fmt.Sprintf("%s, deleted since, comes back to hold %s", pr.label(), r.label())})
				next = append(next, pr.id)
			}
		}
		work = next
	}
	return nil
}

// positionKey names a parent's children as a delete found them: the
// delete's operation and the parent.
type positionKey struct{ op, parent string }

// loadPositions reads, in one query, the order each parent of a block of
// ids to be live had its children in just before that block was deleted
// (from the parent's version in that delete): where a put-back child goes.
func (p *revertPlanner) loadPositions(ids []string) error {
	var ops, parents []string
	for _, id := range ids {
		r, f := p.rows[id], p.final[id]
		if r == nil || !f.live || r.parentID == "" || r.deletedIn == "" {
			continue
		}
		k := positionKey{r.deletedIn, r.parentID}
		if _, ok := p.positionsBefore[k]; !ok {
			p.positionsBefore[k] = nil // none recorded, unless the query finds it
			ops, parents = append(ops, k.op), append(parents, k.parent)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	rows, err := p.q.Query(p.ctx, `SELECT DISTINCT ON (v.op_id, v.block_id) v.op_id, v.block_id,
			coalesce(array(SELECT jsonb_array_elements_text(v.before->'children')), '{}')
		FROM block_versions v JOIN unnest($1::text[], $2::text[]) AS x(op_id, block_id) ON v.op_id = x.op_id AND v.block_id = x.block_id
		ORDER BY v.op_id, v.block_id, v.version_id`, ops, parents) // block_versions_op_idx
	if err != nil {
		return fmt.Errorf("find where restored blocks stood: %w", err)
	}
	var k positionKey
	var ref []string
	if _, err := pgx.ForEachRow(rows, []any{&k.op, &k.parent, &ref}, func() error {
		p.positionsBefore[k] = ref
		return nil
	}); err != nil {
		return fmt.Errorf("find where restored blocks stood: %w", err)
	}
	return nil
}

// positions is where child goes back into parent: the order loadPositions
// found, or parent's own children when that is unknown.
func (p *revertPlanner) positions(child, parent *blockRow) []string {
	if ref := p.positionsBefore[positionKey{child.deletedIn, parent.id}]; len(ref) > 0 {
		return ref
	}
	return parent.children
}

// insertInOrder puts id into list before the first entry that follows it
// in ref; at the end when ref does not place it.
func insertInOrder(list []string, id string, ref []string) []string {
	at := slices.Index(ref, id)
	if at < 0 {
		return append(list, id)
	}
	for i, c := range list {
		if j := slices.Index(ref, c); j > at {
			return slices.Insert(list, i, id)
		}
	}
	return append(list, id)
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// change is what the plan does to block id, if anything.
func (p *revertPlanner) change(id string) (ChangeKind, bool) {
	r, f := p.rows[id], p.final[id]
	switch {
	case r == nil || (!f.live && !r.live):
		return "", false
	case !f.live:
		return ChangeDelete, true
	case !r.live:
		return ChangeRestore, true
	case f.name != r.name || !slices.Equal(f.children, r.children) || !bytes.Equal(normalJSON(f.fields), normalJSON(r.fields)):
		return ChangeUpdate, true
	}
	return "", false
}

// normalJSON compacts a value so equal objects from jsonb compare equal.
func normalJSON(raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	out, _ := json.Marshal(v)
	return out
}

// preview describes the plan. A block deleted or brought back together
// with its parent is counted inside the topmost such block rather than
// listed on its own.
func (p *revertPlanner) preview() (RevertPreview, error) {
	out := RevertPreview{Conflicts: p.conflicts, ConflictBlocks: p.conflictBlocks, Repairs: p.repairs}
	kinds := map[string]ChangeKind{}
	for _, id := range p.order {
		if kind, ok := p.change(id); ok {
			kinds[id] = kind
		}
	}
	// top is the outermost block changed the same way as id, up its parents.
	top := func(id string) string {
		for k := kinds[id]; k != ChangeUpdate; {
			parent := p.rows[id].parentID
			if kinds[parent] != k {
				break
			}
			id = parent
		}
		return id
	}
	inside := map[string]int{}
	for _, id := range p.order {
		kind, ok := kinds[id]
		if !ok {
			continue
		}
		switch kind {
		case ChangeDelete:
			out.Deletes++
		case ChangeRestore:
			out.Restores++
		default:
			out.Updates++
		}
		if t := top(id); t != id {
			inside[t]++
		}
	}
	listed := 0
	for _, id := range p.order {
		kind, ok := kinds[id]
		if !ok || top(id) != id || len(out.Changes) >= MaxPreviewChanges {
			continue
		}
		r, f := p.rows[id], p.final[id]
		pc := PlannedChange{BlockID: id, Type: r.typ, Name: r.name, Change: kind, Inside: inside[id]}
		if r.live {
			pc.Before = parseState(r.state)
		}
		if f.live {
			pc.Name = f.name
			after, err := json.Marshal(recordedState{Type: r.typ, DisplayName: f.name, Fields: f.fields, Children: f.children})
			if err != nil {
				return RevertPreview{}, fmt.Errorf("encode state of %s: %w", id, err)
			}
			pc.After = parseState(after)
		}
		out.Changes = append(out.Changes, pc)
		listed += 1 + pc.Inside
	}
	if out.Total() == 0 {
		return RevertPreview{}, nothingToUndo()
	}
	out.Unlisted = out.Total() - listed
	return out, nil
}

func nothingToUndo() error {
	return &Error{Code: EInvalid, Reason: ReasonNothingToUndo, Message: "Every block concerned is already as it was then: there is nothing to undo."}
}

// apply writes the plan in one statement and notes a version of every block
// it changes (the operation's summary says why); then it commits the operation.
func (p *revertPlanner) apply(ctx context.Context, e *courseEdit, audit AuditEntry) (RevertResult, error) {
	var ids, vids, names, fields, children []string
	var live []bool
	for _, id := range p.order {
		kind, ok := p.change(id)
		if !ok {
			continue
		}
		r, f := p.rows[id], p.final[id]
		name, fs, cs := r.name, r.fields, r.children
		if f.live {
			name, fs, cs = f.name, f.fields, f.children
		}
		if cs == nil {
			cs = []string{}
		}
		var before []byte
		if r.live {
			before = r.state
		}
		// A version that writes earlier values back is a restore.
		vkind := kind
		if kind == ChangeUpdate {
			vkind = ChangeRestore
		}
		vid := e.note(id, vkind, p.summary(kind, r, f), before)
		ids, vids, live, names, fields, children = append(ids, id), append(vids, vid), append(live, f.live), append(names, name), append(fields, string(fs)), append(children, textArray(cs))
	}
	if len(ids) == 0 {
		return RevertResult{}, nothingToUndo()
	}
	if _, err := e.tx.Exec(ctx, `
		UPDATE blocks b SET display_name = x.name, fields = x.fields::jsonb,
			children = x.children::text[],
			deleted_in = CASE WHEN x.live THEN NULL ELSE $6 END, version_id = x.version_id, updated_at = now()
		FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::text[], $8::text[]) AS x(id, live, name, fields, children, version_id)
		WHERE b.id = x.id AND b.course_key = $7`, ids, live, names, fields, children, e.op, e.course, vids); err != nil {
		return RevertResult{}, fmt.Errorf("write back blocks: %w", err)
	}
	if err := e.commit(ctx, audit); err != nil {
		return RevertResult{}, err
	}
	return RevertResult{OpID: e.op, Reverted: len(ids)}, nil
}

var arrayQuoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// textArray writes block ids as a PostgreSQL array literal, each quoted,
// for one array per row of an unnest.
func textArray(ids []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + arrayQuoter.Replace(id) + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func (p *revertPlanner) summary(kind ChangeKind, r *blockRow, f *finalState) string {
	switch kind {
	case ChangeDelete:
		return "Deleted " + r.label()
	case ChangeRestore:
		return "Brought back " + r.label()
	}
	var changed []string
	if f.name != r.name {
		changed = append(changed, "display_name")
	}
	if !bytes.Equal(normalJSON(f.fields), normalJSON(r.fields)) {
		changed = append(changed, "fields")
	}
	if !slices.Equal(f.children, r.children) {
		changed = append(changed, "children")
	}
	return fmt.Sprintf("Restored %s %q: %s", r.typ, f.name, strings.Join(changed, ", "))
}
