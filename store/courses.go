package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Course is a course as lists show it; its content is a tree of blocks
// rooted at RootBlockID.
type Course struct {
	Key         string
	Title       string
	RootBlockID string
	CreatedAt   time.Time
}

// Source says through what a change to a course reached Seatplan.
type Source string

const (
	SourceUI     Source = "ui"
	SourceAPI    Source = "api"
	SourceImport Source = "import"
	SourceUndo   Source = "undo"
)

// courseRight is what an actor wants to do with a course.
type courseRight int

const (
	rightView courseRight = iota
	rightEdit
	rightUndo
)

// courseAccess reports whether a may do right on a course it is (or is not)
// staff of: admins and support see every course; authors see and edit the
// courses they are staff of; admins edit anywhere; support may undo anywhere.
func courseAccess(a Actor, isStaff bool, right courseRight) bool {
	switch {
	case a.Kind == ActorSystem, a.Is(RoleAdmin):
		return true
	case a.Is(RoleSupport):
		return right != rightEdit
	case a.Is(RoleAuthor):
		return isStaff
	}
	return false
}

const courseColumns = `c.key, c.title, coalesce((SELECT id FROM blocks WHERE course_key = c.key AND type = 'course'), ''), c.created_at`

func scanCourse(row pgx.Row) (Course, error) {
	var c Course
	err := row.Scan(&c.Key, &c.Title, &c.RootBlockID, &c.CreatedAt)
	return c, err
}

// staffFilter is the SQL condition "a is staff of course c".
const staffFilter = `EXISTS (SELECT 1 FROM course_staff s WHERE s.course_key = c.key
	AND (($1 = 'person' AND s.person_id = $2) OR ($1 = 'client' AND s.client_id = $2)))`

// authorizeCourse checks that the course exists and a may do right on it.
// Unknown courses are 404 for everyone, so the answer does not depend on rights.
func authorizeCourse(ctx context.Context, q querier, key string, a Actor, right courseRight, lockRow bool) (Course, error) {
	sql := `SELECT ` + courseColumns + `, ` + staffFilter + ` FROM courses c WHERE c.key = $3`
	if lockRow {
		sql += ` FOR UPDATE OF c`
	}
	var c Course
	var isStaff bool
	err := q.QueryRow(ctx, sql, a.Kind, a.ID, key).Scan(&c.Key, &c.Title, &c.RootBlockID, &c.CreatedAt, &isStaff)
	if errors.Is(err, pgx.ErrNoRows) {
		return Course{}, Errorf(ENotFound, "There is no course %q.", key)
	}
	if err != nil {
		return Course{}, fmt.Errorf("read course %s: %w", key, err)
	}
	if !courseAccess(a, isStaff, right) {
		what := map[courseRight]string{rightView: "see", rightEdit: "edit", rightUndo: "undo changes in"}[right]
		return Course{}, Errorf(EForbidden, "You may not %s the course %s: ask an admin to add you to its staff.", what, key)
	}
	return c, nil
}

// CreateCourse adds a course with its root block. An author who creates a
// course becomes its staff, so they can edit what they made.
func (s *Store) CreateCourse(ctx context.Context, key, title string, by Actor, src Source) (Course, error) {
	key, title = strings.TrimSpace(key), strings.TrimSpace(title)
	if !by.Is(RoleAdmin, RoleAuthor) && by.Kind != ActorSystem {
		return Course{}, Errorf(EForbidden, "Only authors and admins create courses.")
	}
	if title == "" {
		return Course{}, Errorf(EInvalid, "A course needs a title.")
	}
	if err := tooLong("course title", title, MaxNameLength); err != nil {
		return Course{}, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO courses (key, title) VALUES ($1, $2)`, key, title)
		var pgErr *pgconn.PgError
		switch {
		case isUniqueViolation(err):
			return Errorf(EConflict, "A course with the key %s already exists.", key)
		case errors.As(err, &pgErr) && pgErr.Code == "23514":
			return Errorf(EInvalid, "The course key %q is not valid: use letters, digits and : + . _ - (at most 200, starting with a letter or digit).", key)
		case err != nil:
			return fmt.Errorf("insert course: %w", err)
		}
		if by.Is(RoleAuthor) {
			if err := addStaff(ctx, tx, key, by); err != nil {
				return err
			}
		}
		e := newCourseEdit(tx, key, by, src)
		rootID := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO blocks (id, course_key, type, display_name, version_id) VALUES ($1, $2, 'course', $3, '')`,
			rootID, key, title); err != nil {
			return fmt.Errorf("insert course block: %w", err)
		}
		e.note(rootID, ChangeCreate, fmt.Sprintf("Created course %q", title), nil)
		return e.commit(ctx, AuditEntry{Action: "course.create", SubjectType: "course", SubjectID: key,
			Summary: fmt.Sprintf("Created course %s (%s)", key, title)})
	})
	if err != nil {
		return Course{}, err
	}
	return scanCourse(s.pool.QueryRow(ctx, `SELECT `+courseColumns+` FROM courses c WHERE c.key = $1`, key))
}

func addStaff(ctx context.Context, tx pgx.Tx, key string, who Actor) error {
	col := map[ActorKind]string{ActorPerson: "person_id", ActorClient: "client_id"}[who.Kind]
	if col == "" {
		return Errorf(EInvalid, "Only people and API clients can be course staff.")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO course_staff (course_key, `+col+`) VALUES ($1, $2) ON CONFLICT DO NOTHING`, key, who.ID); err != nil {
		return fmt.Errorf("add staff to %s: %w", key, err)
	}
	return nil
}

// AddCourseStaff lets a person or API client author the course.
func (s *Store) AddCourseStaff(ctx context.Context, key string, who Actor, by Actor) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := authorizeCourse(ctx, tx, key, by, rightEdit, true); err != nil {
			return err
		}
		if err := addStaff(ctx, tx, key, who); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "course.staff_add", SubjectType: "course", SubjectID: key,
			Summary: fmt.Sprintf("Added %s to the staff of %s", who.Name, key)})
	})
}

// Course returns one course a may see.
func (s *Store) Course(ctx context.Context, key string, a Actor) (Course, error) {
	return authorizeCourse(ctx, s.pool, key, a, rightView, false)
}

// CanEditCourse and CanUndoInCourse tell pages which buttons to offer; the
// operations check again.
func (s *Store) CanEditCourse(ctx context.Context, key string, a Actor) (bool, error) {
	return s.can(ctx, key, a, rightEdit)
}

func (s *Store) CanUndoInCourse(ctx context.Context, key string, a Actor) (bool, error) {
	return s.can(ctx, key, a, rightUndo)
}

func (s *Store) can(ctx context.Context, key string, a Actor, right courseRight) (bool, error) {
	_, err := authorizeCourse(ctx, s.pool, key, a, right, false)
	if ErrorCode(err) == EForbidden {
		return false, nil
	}
	return err == nil, err
}

// ListCourses returns the courses a may see, by key.
func (s *Store) ListCourses(ctx context.Context, a Actor) ([]Course, error) {
	everyone := courseAccess(a, false, rightView)
	rows, err := s.pool.Query(ctx, `SELECT `+courseColumns+` FROM courses c
		WHERE $3 OR `+staffFilter+` ORDER BY c.key`, a.Kind, a.ID, everyone)
	if err != nil {
		return nil, fmt.Errorf("list courses: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Course, error) { return scanCourse(r) })
}
