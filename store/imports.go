package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// JobImportCourse is the kind of the job that replaces a course's content.
const JobImportCourse = "import_course"

// MaxImportBlocks bounds one import, so a runaway file cannot fill the tree.
const MaxImportBlocks = 20_000

// ImportBlock is a block of an imported tree. The root stands for the course
// block: its children (chapters) replace the course's content.
type ImportBlock struct {
	Type        BlockType       `json:"type"`
	DisplayName string          `json:"display_name"`
	Fields      json.RawMessage `json:"fields,omitempty"`
	Children    []ImportBlock   `json:"children,omitempty"`
}

// CourseImport is an accepted import and the lease its job resumes.
type CourseImport struct {
	JobID  string
	Course string
	Tree   ImportBlock
	Lease  Lock
}

// ImportResult is what an import job reports. OpID is the operation that
// wrote it: undo it to undo the whole import.
type ImportResult struct {
	Created int    `json:"created"`
	Deleted int    `json:"deleted"`
	OpID    string `json:"op_id"`
}

// validateImport checks the whole tree with the hierarchy, name and field
// rules every other path uses, naming where each problem is, and counts its
// blocks (the root excluded).
func validateImport(root ImportBlock) (int, error) {
	if root.Type != "" && root.Type != BlockCourse {
		return 0, Errorf(EInvalid, `The root of an import is the course block: {"type": "course", "children": [chapters…]}.`)
	}
	n := 0
	var walk func(parent BlockType, path string, b *ImportBlock) error
	walk = func(parent BlockType, path string, b *ImportBlock) error {
		if n++; n > MaxImportBlocks {
			return Errorf(ETooLarge, "The import holds more than %d blocks; split the course or raise the limit.", MaxImportBlocks)
		}
		if err := checkPlacement(parent, b.Type); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		name, err := validName(b.DisplayName)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fields, err := validFields(b.Fields)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		b.DisplayName, b.Fields = name, fields
		for i := range b.Children {
			if err := walk(b.Type, fmt.Sprintf("%s.children[%d]", path, i), &b.Children[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range root.Children {
		if err := walk(BlockCourse, fmt.Sprintf("children[%d]", i), &root.Children[i]); err != nil {
			if e, ok := errors.AsType[*Error](err); ok {
				return 0, &Error{Code: e.Code, Reason: e.Reason, Message: err.Error(), Detail: e.Detail}
			}
			return 0, err
		}
	}
	return n, nil
}

// ImportCourse accepts a block tree that will replace the course's content:
// it checks the tree, takes the course lock (failing at once with
// *ErrLocked while another process holds it), and in one transaction
// records the import and enqueues its job. The lock stays held for the job.
func (s *Store) ImportCourse(ctx context.Context, course string, root ImportBlock, by Actor, ttl time.Duration, enqueue Enqueue) (Job, error) {
	if _, err := authorizeCourse(ctx, s.pool, course, by, rightEdit, false); err != nil {
		return Job{}, err
	}
	n, err := validateImport(root)
	if err != nil {
		return Job{}, err
	}
	root.Type = BlockCourse
	tree, err := json.Marshal(root)
	if err != nil {
		return Job{}, fmt.Errorf("encode import: %w", err)
	}
	var job Job
	err = s.acceptUnderLease(ctx, CourseLockName(course), by, fmt.Sprintf("import %d blocks", n), ttl, func(tx pgx.Tx, lease Lock) error {
		job, err = createJob(ctx, tx, newJob{Kind: JobImportCourse, SubjectType: "course", SubjectID: course, Total: int64(n), By: by}, enqueue)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO course_imports (job_id, course_key, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, tree)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, job.ID, course, lease.Name, lease.LeaseID,
			lease.HolderKind, lease.HolderID, lease.Holder, lease.Purpose, tree); err != nil {
			return fmt.Errorf("record import: %w", err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "course.import_accept", SubjectType: "course", SubjectID: course,
			Summary: fmt.Sprintf("Accepted an import of %d blocks into %s", n, course), Detail: map[string]any{"job_id": job.ID}})
	})
	if err != nil {
		return Job{}, err
	}
	return job, nil
}

// CourseImportOf returns the accepted import behind a job.
func (s *Store) CourseImportOf(ctx context.Context, jobID string) (CourseImport, error) {
	var imp CourseImport
	var tree []byte
	err := s.pool.QueryRow(ctx, `SELECT job_id, course_key, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, tree
		FROM course_imports WHERE job_id = $1`, jobID).Scan(&imp.JobID, &imp.Course, &imp.Lease.Name, &imp.Lease.LeaseID,
		&imp.Lease.HolderKind, &imp.Lease.HolderID, &imp.Lease.Holder, &imp.Lease.Purpose, &tree)
	if errors.Is(err, pgx.ErrNoRows) {
		return CourseImport{}, Errorf(ENotFound, "There is no course import for job %q.", jobID)
	}
	if err != nil {
		return CourseImport{}, fmt.Errorf("read import %s: %w", jobID, err)
	}
	if err := json.Unmarshal(tree, &imp.Tree); err != nil {
		return CourseImport{}, fmt.Errorf("decode import %s: %w", jobID, err)
	}
	return imp, nil
}

// RunCourseImport replaces the course's content with the imported tree in
// one transaction fenced by lease: the old chapters are deleted (and stay
// restorable), the new blocks are written with COPY, every block gets an
// import version, and the job is finished and the course lock released —
// all or nothing. A retry of a job that already succeeded changes nothing.
func (s *Store) RunCourseImport(ctx context.Context, imp CourseImport, lease Lock) (ImportResult, error) {
	by := Actor{Kind: lease.HolderKind, ID: lease.HolderID, Name: lease.Holder}
	var res ImportResult
	err := s.editCourse(ctx, imp.Course, by, rightEdit, SourceImport, &lease, func(e *courseEdit) error {
		// The tree stays stored after the import: only the job's status
		// keeps a retry from importing it a second time.
		done, err := jobSucceeded(ctx, e.tx, imp.JobID)
		if err != nil || done {
			return err
		}
		root, rootState, err := liveRoot(ctx, e.tx, imp.Course)
		if err != nil {
			return err
		}
		for _, c := range root.Children {
			child, _, err := loadBlock(ctx, e.tx, imp.Course, c)
			if err != nil {
				return err
			}
			if _, err := e.removeSubtree(ctx, child); err != nil {
				return err
			}
			res.Deleted++
		}
		type row struct {
			id, typ, name, fields, parent, parentType, version string
			children                                           []string
		}
		var rows []row
		var flatten func(b ImportBlock, parent Block) string
		flatten = func(b ImportBlock, parent Block) string {
			r := row{id: NewID(), typ: string(b.Type), name: b.DisplayName, fields: string(b.Fields), parent: parent.ID, parentType: string(parent.Type), children: []string{}}
			at := len(rows)
			rows = append(rows, r)
			for _, c := range b.Children {
				rows[at].children = append(rows[at].children, flatten(c, Block{ID: r.id, Type: b.Type}))
			}
			return r.id
		}
		var chapters []string
		for _, c := range imp.Tree.Children {
			chapters = append(chapters, flatten(c, root))
		}
		if chapters == nil {
			chapters = []string{}
		}
		res.Created, res.OpID = len(rows), e.op
		summary := fmt.Sprintf("Imported %d blocks into %s, replacing %d chapters", res.Created, label(root), res.Deleted)
		e.note(root.ID, ChangeMove, summary, rootState)
		for i, r := range rows {
			rows[i].version = e.note(r.id, ChangeCreate, fmt.Sprintf("Imported %s %q", r.typ, r.name), nil)
		}
		// COPY: one round trip for the whole tree, each block already at its
		// version; the foreign keys and the children trigger check it like
		// any other write.
		if _, err := e.tx.CopyFrom(ctx, pgx.Identifier{"blocks"},
			[]string{"id", "course_key", "type", "display_name", "fields", "parent_id", "parent_type", "children", "version_id"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{r.id, imp.Course, r.typ, r.name, []byte(r.fields), r.parent, r.parentType, r.children, r.version}, nil
			})); err != nil {
			return fmt.Errorf("write imported blocks: %w", err)
		}
		if _, err := e.tx.Exec(ctx, `UPDATE blocks SET children = $2, updated_at = now() WHERE id = $1`, root.ID, chapters); err != nil {
			return fmt.Errorf("attach imported chapters: %w", err)
		}
		if err := e.commit(ctx, AuditEntry{Action: "course.import", SubjectType: "course", SubjectID: imp.Course, Summary: summary}); err != nil {
			return err
		}
		return s.finishLeasedJob(ctx, e.tx, imp.JobID, res, lease)
	})
	return res, err
}

func liveRoot(ctx context.Context, q querier, course string) (Block, []byte, error) {
	var id string
	if err := q.QueryRow(ctx, `SELECT id FROM blocks WHERE course_key = $1 AND type = 'course'`, course).Scan(&id); err != nil {
		return Block{}, nil, fmt.Errorf("find course block of %s: %w", course, err)
	}
	return loadBlock(ctx, q, course, id)
}
