package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/emaillist"
)

// Outcome is what bulk enrollment did with one entry of a list.
type Outcome string

const (
	OutcomeEnrolled Outcome = "enrolled" // newly enrolled by this call
	OutcomeExisting Outcome = "existing" // was already enrolled: not a failure
	OutcomeProblem  Outcome = "problem"  // not enrolled; Reason says why
)

// ReasonUnknownCourse is the problem of a pair whose course does not exist.
const ReasonUnknownCourse = "unknown course"

// PairResult is one entry of an enrollment list and what became of it.
type PairResult struct {
	Index   int // 0-based position in the list
	Line    int // 1-based CSV line; 0 for lists without lines
	Email   string
	Course  string
	Outcome Outcome
	Reason  string // for OutcomeProblem
}

// EnrollmentResult is the answer of one bulk enrollment call.
type EnrollmentResult struct {
	ID       string // ULID of the stored result and subject of the audit entry
	Enrolled int
	Existing int
	// Problems are the entries not enrolled, in list order: those the list
	// parser refused and pairs naming an unknown course.
	Problems []EnrollmentProblem
	// Pairs holds every entry of the list in list order.
	Pairs []PairResult
}

// Enroll enrolls many (email, course) pairs at once. pairs are normally what
// emaillist.ReadPairs or CheckPairs accepted, with their Index and Line;
// refused are the entries those reported as problems, which are only reported
// and counted. A pair with a bad address, no course or an unknown course, or
// repeating an earlier pair, becomes a problem while the others are still
// enrolled; pairs already enrolled are reported as existing. One audit entry
// records the counts.
func (s *Store) Enroll(ctx context.Context, pairs []emaillist.Pair, refused []emaillist.PairProblem, by Actor) (EnrollmentResult, error) {
	return s.enrollInTx(ctx, pairs, refused, by, nil)
}

// EnrollAndKeepResult is Enroll that also keeps the per-pair result, for a
// person to download (EnrollmentResultByID) for 30 days. Storing 100,000
// lines costs about a tenth of the call, so only the pages ask for it.
func (s *Store) EnrollAndKeepResult(ctx context.Context, pairs []emaillist.Pair, refused []emaillist.PairProblem, by Actor, download Download) (EnrollmentResult, error) {
	return s.enrollInTx(ctx, pairs, refused, by, download)
}

// Download writes the per-entry results of a call as the file a person
// downloads; the store keeps what it writes, as it is.
type Download func(pairs []PairResult) string

func (s *Store) enrollInTx(ctx context.Context, pairs []emaillist.Pair, refused []emaillist.PairProblem, by Actor, keep Download) (EnrollmentResult, error) {
	var res EnrollmentResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = enroll(ctx, tx, pairs, refused, by, keep)
		return err
	})
	if err != nil {
		return EnrollmentResult{}, err
	}
	return res, nil
}

// enroll is Enroll inside the caller's transaction, so license assignment
// can enroll its assignees in the same transaction as it assigns them. keep,
// when not nil, writes the result that is kept for download.
func enroll(ctx context.Context, tx pgx.Tx, pairs []emaillist.Pair, refused []emaillist.PairProblem, by Actor, keep Download) (EnrollmentResult, error) {
	res := EnrollmentResult{ID: NewID(), Pairs: make([]PairResult, 0, len(pairs)+len(refused))}
	staged, refused := recheckPairs(pairs, refused)
	notEnrolled, err := insertEnrollments(ctx, tx, staged, by)
	if err != nil {
		return EnrollmentResult{}, err
	}
	for i, p := range staged {
		r := PairResult{Index: p.Index, Line: p.Line, Email: p.Email, Course: p.Course, Outcome: OutcomeEnrolled}
		if known, ok := notEnrolled[i]; ok {
			r.Outcome = OutcomeExisting
			if !known {
				r.Outcome, r.Reason = OutcomeProblem, ReasonUnknownCourse
			}
		}
		res.Pairs = append(res.Pairs, r)
	}
	for _, p := range refused {
		res.Pairs = append(res.Pairs, PairResult{Index: p.Index, Line: p.Line, Email: p.Email, Course: p.Course, Outcome: OutcomeProblem, Reason: p.Reason})
	}
	slices.SortStableFunc(res.Pairs, func(a, b PairResult) int { return a.Index - b.Index })
	for _, r := range res.Pairs {
		switch r.Outcome {
		case OutcomeEnrolled:
			res.Enrolled++
		case OutcomeExisting:
			res.Existing++
		case OutcomeProblem:
			res.Problems = append(res.Problems, EnrollmentProblem{Index: r.Index, Line: r.Line, Email: r.Email, Course: r.Course, Reason: r.Reason})
		}
	}
	if keep != nil {
		if err := saveEnrollmentResult(ctx, tx, res, by, keep(res.Pairs)); err != nil {
			return EnrollmentResult{}, err
		}
	}
	err = writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "enrollment.bulk", SubjectType: "enrollment_result", SubjectID: res.ID,
		Summary: fmt.Sprintf("Enrolled %d learners (%d already enrolled, %d problems)", res.Enrolled, res.Existing, len(res.Problems)),
		Detail:  map[string]any{"enrolled": res.Enrolled, "existing": res.Existing, "problems": len(res.Problems), "entries": len(res.Pairs)}})
	if err != nil {
		return EnrollmentResult{}, err
	}
	return res, nil
}

// recheckPairs splits pairs into those fit for SQL and problems, added to a
// copy of refused. It guards against Go callers: an address the table's
// CHECK refuses would abort the whole batch, and a repeated pair would be
// counted twice. Lists from the parser pass unchanged.
func recheckPairs(pairs []emaillist.Pair, refused []emaillist.PairProblem) ([]emaillist.Pair, []emaillist.PairProblem) {
	refused = slices.Clone(refused) // appended to below; the caller's stays as it was
	staged := make([]emaillist.Pair, 0, len(pairs))
	first := make(map[[2]string]int, len(pairs)) // (email, course) → Index of its first pair
	for _, p := range pairs {
		addr, reason := emaillist.ValidEmail(p.Email)
		course := strings.TrimSpace(p.Course)
		if reason == "" && course == "" {
			reason = "missing course"
		}
		if reason == "" {
			if i, seen := first[[2]string{addr, course}]; seen {
				reason = fmt.Sprintf("repeats entry %d", i)
			} else {
				first[[2]string{addr, course}] = p.Index
			}
		}
		if reason != "" {
			refused = append(refused, emaillist.PairProblem{Index: p.Index, Line: p.Line, Email: p.Email, Course: course, Reason: reason})
			continue
		}
		staged = append(staged, emaillist.Pair{Index: p.Index, Line: p.Line, Email: addr, Course: course})
	}
	return staged, refused
}

// insertEnrollments enrolls staged pairs with one COPY and one INSERT and
// returns, by position in staged, the pairs it did not enroll: true for an
// existing enrollment, false for an unknown course.
func insertEnrollments(ctx context.Context, tx pgx.Tx, staged []emaillist.Pair, by Actor) (map[int]bool, error) {
	notEnrolled := map[int]bool{}
	if len(staged) == 0 {
		return notEnrolled, nil
	}
	// 100,000 pairs sort and hash in memory instead of spilling to disk
	// (measured: about a third faster). Local to the transaction.
	if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', '64MB', true)`); err != nil {
		return nil, fmt.Errorf("set work_mem: %w", err)
	}
	// Dropped at the end, not only on commit: enroll runs inside its
	// callers' transactions, and a second call in one of them creates it again.
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE enroll_stage (pos integer NOT NULL, email text NOT NULL, course text NOT NULL) ON COMMIT DROP`); err != nil {
		return nil, fmt.Errorf("create enrollment staging table: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"enroll_stage"}, []string{"pos", "email", "course"},
		pgx.CopyFromSlice(len(staged), func(i int) ([]any, error) {
			return []any{int32(i), staged[i].Email, staged[i].Course}, nil
		}))
	if err != nil {
		return nil, fmt.Errorf("copy enrollment pairs: %w", err)
	}
	// Lock the named courses against deletion first: a course deleted
	// between the join below and the foreign-key check would otherwise abort
	// the whole batch instead of making its pairs "unknown course".
	if _, err := tx.Exec(ctx, `SELECT 1 FROM courses WHERE key IN (SELECT DISTINCT course FROM enroll_stage) FOR KEY SHARE`); err != nil {
		return nil, fmt.Errorf("lock enrollment courses: %w", err)
	}
	// Invariant: one enrollment per (course, email), kept by the primary key;
	// ON CONFLICT DO NOTHING turns an existing one into a report, not an error.
	// Rows are inserted in key order so that concurrent calls with
	// overlapping pairs take their row locks in the same order and never
	// deadlock. Only the pairs not enrolled come back.
	rows, err := tx.Query(ctx, `WITH inserted AS (
			INSERT INTO enrollments (course_key, email, enrolled_by_kind, enrolled_by_id, enrolled_by_name)
			SELECT s.course, s.email, $1, $2, $3 FROM enroll_stage s JOIN courses c ON c.key = s.course
			ORDER BY s.course, s.email
			ON CONFLICT (course_key, email) DO NOTHING
			RETURNING course_key, email)
		SELECT s.pos, c.key IS NOT NULL
		FROM enroll_stage s
		LEFT JOIN inserted i ON i.course_key = s.course AND i.email = s.email
		LEFT JOIN courses c ON c.key = s.course
		WHERE i.email IS NULL`, by.Kind, by.ID, by.Name)
	if err != nil {
		return nil, fmt.Errorf("insert enrollments: %w", err)
	}
	var pos int32
	var known bool
	_, err = pgx.ForEachRow(rows, []any{&pos, &known}, func() error {
		notEnrolled[int(pos)] = known
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert enrollments: %w", err)
	}
	if _, err := tx.Exec(ctx, `DROP TABLE enroll_stage`); err != nil {
		return nil, fmt.Errorf("drop enrollment staging table: %w", err)
	}
	return notEnrolled, nil
}

// resultRetention is how long a bulk enrollment's result stays downloadable.
const resultRetention = 30 * 24 * time.Hour

// saveEnrollmentResult keeps the result for download and prunes old ones.
func saveEnrollmentResult(ctx context.Context, tx pgx.Tx, res EnrollmentResult, by Actor, download string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM enrollment_results WHERE created_at < now() - $1::interval`, resultRetention.String()); err != nil {
		return fmt.Errorf("prune enrollment results: %w", err)
	}
	problems := res.Problems
	if problems == nil {
		problems = []EnrollmentProblem{} // the column holds a JSON array, never null
	}
	_, err := tx.Exec(ctx, `INSERT INTO enrollment_results (id, actor_name, enrolled, existing, problems, outcome) VALUES ($1, $2, $3, $4, $5, $6)`,
		res.ID, by.Name, res.Enrolled, res.Existing, problems, download)
	if err != nil {
		return fmt.Errorf("save enrollment result: %w", err)
	}
	return nil
}

// EnrollmentProblem is an entry that was not enrolled; the JSON names are
// how the kept result stores it.
type EnrollmentProblem struct {
	Index  int    `json:"index"`
	Line   int    `json:"line,omitempty"` // 1-based CSV line; absent for JSON lists
	Email  string `json:"email"`
	Course string `json:"course"`
	Reason string `json:"reason"`
}

// StoredEnrollmentResult is a kept result: counts and problems for the page,
// the per-entry results for download.
type StoredEnrollmentResult struct {
	ID        string
	CreatedAt time.Time
	ActorName string
	Enrolled  int
	Existing  int
	Problems  []EnrollmentProblem
	Download  string // as the caller's Download wrote it
}

// EnrollmentResultByID returns a kept result.
func (s *Store) EnrollmentResultByID(ctx context.Context, id string) (StoredEnrollmentResult, error) {
	var r StoredEnrollmentResult
	err := s.pool.QueryRow(ctx, `SELECT id, created_at, actor_name, enrolled, existing, problems, outcome FROM enrollment_results WHERE id = $1`, id).
		Scan(&r.ID, &r.CreatedAt, &r.ActorName, &r.Enrolled, &r.Existing, &r.Problems, &r.Download)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, Errorf(ENotFound, "There is no enrollment result %q; results are kept for 30 days.", id)
	}
	if err != nil {
		return r, fmt.Errorf("read enrollment result %s: %w", id, err)
	}
	return r, nil
}

// Enrollment is one learner enrolled in one course.
type Enrollment struct {
	CourseKey  string
	Email      string
	EnrolledAt time.Time
	EnrolledBy string // name of the person or client
}

// EnrollmentFilter pages through a course's enrollments by email. After is
// the email of the last row of the previous page.
type EnrollmentFilter struct {
	Q     string
	After string
	Limit int
}

// EnrollmentPage is one page of a course's enrollments, by email.
type EnrollmentPage struct {
	CourseKey   string
	CourseTitle string
	Total       int // enrollments of the course, ignoring the search
	Enrollments []Enrollment
	// NextAfter is the cursor of the next page; "" at the end.
	NextAfter string
}

// CourseEnrollments lists a course's enrollments with an email search and
// keyset pagination over the primary key (course_key, email).
func (s *Store) CourseEnrollments(ctx context.Context, courseKey string, f EnrollmentFilter) (EnrollmentPage, error) {
	limit := pageLimit(f.Limit)
	page := EnrollmentPage{CourseKey: courseKey}
	err := s.pool.QueryRow(ctx, `SELECT title, enrolled FROM courses WHERE key = $1`, courseKey).
		Scan(&page.CourseTitle, &page.Total)
	if errors.Is(err, pgx.ErrNoRows) {
		return page, Errorf(ENotFound, "There is no course %q.", courseKey)
	}
	if err != nil {
		return page, fmt.Errorf("read course %s: %w", courseKey, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT course_key, email, enrolled_at, enrolled_by_name FROM enrollments
		WHERE course_key = $1 AND ($2 = '' OR email LIKE '%' || $2 || '%') AND email > $3
		ORDER BY email LIMIT $4`, courseKey, escapeLike(strings.ToLower(strings.TrimSpace(f.Q))), f.After, limit+1)
	if err != nil {
		return page, fmt.Errorf("list enrollments of %s: %w", courseKey, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Enrollment])
	if err != nil {
		return page, fmt.Errorf("list enrollments of %s: %w", courseKey, err)
	}
	page.Enrollments, page.NextAfter = trimPage(list, limit, func(e Enrollment) string { return e.Email })
	return page, nil
}

// Unenroll removes one learner from one course.
func (s *Store) Unenroll(ctx context.Context, courseKey, email string, by Actor) error {
	email = strings.ToLower(strings.TrimSpace(email))
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM enrollments WHERE course_key = $1 AND email = $2`, courseKey, email)
		if err != nil {
			return fmt.Errorf("unenroll %s from %s: %w", email, courseKey, err)
		}
		if tag.RowsAffected() == 0 {
			return Errorf(ENotFound, "%s is not enrolled in %s.", email, courseKey)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "enrollment.delete", SubjectType: "course", SubjectID: courseKey,
			Summary: fmt.Sprintf("Unenrolled %s from %s", email, courseKey), Detail: map[string]any{"email": email}})
	})
}

// CourseEnrollmentCount is a course with how many learners it has.
type CourseEnrollmentCount struct {
	Key, Title string
	Enrolled   int
}

// EnrollmentCounts lists every course with its number of enrollments, kept
// on the course's row with every enrollment change.
func (s *Store) EnrollmentCounts(ctx context.Context) ([]CourseEnrollmentCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.key, c.title, c.enrolled FROM courses c ORDER BY c.key`)
	if err != nil {
		return nil, fmt.Errorf("count enrollments: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CourseEnrollmentCount])
}

// PlanCourse is a course whose learners a plan's licensees become.
type PlanCourse struct {
	Key, Title string
	LinkedAt   time.Time
}

// PlanCourseList is a plan's linked courses and the courses it could link.
type PlanCourseList struct {
	Linked    []PlanCourse
	Available []PlanCourse // LinkedAt is zero
}

// PlanCourses lists the courses linked to a plan and those still available.
func (s *Store) PlanCourses(ctx context.Context, planID string) (PlanCourseList, error) {
	var l PlanCourseList
	if _, err := planKey(ctx, s.pool, planID); err != nil {
		return l, err
	}
	rows, err := s.pool.Query(ctx, `SELECT c.key, c.title, pc.linked_at
		FROM courses c JOIN plan_courses pc ON pc.course_key = c.key WHERE pc.plan_id = $1 ORDER BY c.key`, planID)
	if err == nil {
		l.Linked, err = pgx.CollectRows(rows, pgx.RowToStructByPos[PlanCourse])
	}
	if err != nil {
		return l, fmt.Errorf("list courses of plan %s: %w", planID, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT c.key, c.title FROM courses c
		WHERE NOT EXISTS (SELECT 1 FROM plan_courses pc WHERE pc.plan_id = $1 AND pc.course_key = c.key) ORDER BY c.key`, planID)
	if err == nil {
		l.Available, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlanCourse, error) {
			var c PlanCourse
			return c, r.Scan(&c.Key, &c.Title)
		})
	}
	if err != nil {
		return l, fmt.Errorf("list courses for plan %s: %w", planID, err)
	}
	return l, nil
}

// LinkPlanCourse makes a plan's licensees learners of a course.
func (s *Store) LinkPlanCourse(ctx context.Context, planID, courseKey string, by Actor) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockPlanRow(ctx, tx, planID); err != nil {
			return err
		}
		// The primary key (plan_id, course_key) links a course once; an
		// unknown course selects no row, so nothing is inserted and the
		// check below tells it from a course already linked.
		tag, err := tx.Exec(ctx, `INSERT INTO plan_courses (plan_id, course_key)
			SELECT $1, key FROM courses WHERE key = $2 ON CONFLICT DO NOTHING`, planID, courseKey)
		if err != nil {
			return fmt.Errorf("link course %s to plan %s: %w", courseKey, planID, err)
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM courses WHERE key = $1)`, courseKey).Scan(&exists); err != nil {
				return fmt.Errorf("link course %s: %w", courseKey, err)
			}
			if !exists {
				return Errorf(EInvalid, "There is no course %q; pick one of the listed courses.", courseKey)
			}
			return nil // already linked: linking again changes nothing
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "plan.course.link", SubjectType: "plan", SubjectID: planID,
			Summary: fmt.Sprintf("Linked course %s to plan %s", courseKey, planID), Detail: map[string]any{"course": courseKey}})
	})
}

// UnlinkPlanCourse stops enrolling a plan's licensees in a course; existing
// enrollments stay.
func (s *Store) UnlinkPlanCourse(ctx context.Context, planID, courseKey string, by Actor) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockPlanRow(ctx, tx, planID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM plan_courses WHERE plan_id = $1 AND course_key = $2`, planID, courseKey)
		if err != nil {
			return fmt.Errorf("unlink course %s from plan %s: %w", courseKey, planID, err)
		}
		if tag.RowsAffected() == 0 {
			return Errorf(ENotFound, "Course %q is not linked to plan %s.", courseKey, planID)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "plan.course.unlink", SubjectType: "plan", SubjectID: planID,
			Summary: fmt.Sprintf("Unlinked course %s from plan %s", courseKey, planID), Detail: map[string]any{"course": courseKey}})
	})
}

// enrollAssignees enrolls emails (valid and lower-cased, as assignment has
// them) in every course linked to the plan, through the same core as Enroll,
// inside the caller's transaction: license assignment calls it in the
// transaction that assigns the licenses, so both commit or neither does.
// keep, when not nil, writes the result kept for download. With no linked course it does
// nothing and returns a result with no ID.
func enrollAssignees(ctx context.Context, tx pgx.Tx, planID string, emails []string, by Actor, keep Download) (EnrollmentResult, error) {
	rows, err := tx.Query(ctx, `SELECT course_key FROM plan_courses WHERE plan_id = $1 ORDER BY course_key`, planID)
	if err != nil {
		return EnrollmentResult{}, fmt.Errorf("read courses of plan %s: %w", planID, err)
	}
	courses, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return EnrollmentResult{}, fmt.Errorf("read courses of plan %s: %w", planID, err)
	}
	if len(courses) == 0 {
		return EnrollmentResult{}, nil
	}
	pairs := make([]emaillist.Pair, 0, len(emails)*len(courses))
	for _, course := range courses {
		for _, e := range emails {
			pairs = append(pairs, emaillist.Pair{Index: len(pairs), Email: e, Course: course})
		}
	}
	return enroll(ctx, tx, pairs, nil, by, keep)
}

// EnrollPlanLicensees enrolls everyone holding a live license of the plan in
// the plan's courses: what assignment does for new assignees, for the people
// assigned before a course was linked. The result is kept for download.
func (s *Store) EnrollPlanLicensees(ctx context.Context, planID string, by Actor, download Download) (EnrollmentResult, error) {
	var res EnrollmentResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := lockPlan(ctx, tx, planID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT email FROM licenses WHERE plan_key = $1 AND status IN ('assigned', 'activated') ORDER BY email`, p.key)
		if err != nil {
			return fmt.Errorf("read licensees of plan %s: %w", planID, err)
		}
		emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("read licensees of plan %s: %w", planID, err)
		}
		res, err = enrollAssignees(ctx, tx, planID, emails, by, download)
		return err
	})
	return res, err
}

// CoursePreview is what a list would do in one course it names.
type CoursePreview struct {
	Key             string
	Pairs           int  // the list's pairs naming the course
	AlreadyEnrolled int  // of those, learners enrolled already (reported, not enrolled twice)
	Known           bool // the course exists; an unknown course's pairs become problems
}

// PreviewEnrollment counts, per course in the order the list first names
// it, what enrolling pairs would do; nothing changes.
func (s *Store) PreviewEnrollment(ctx context.Context, pairs []emaillist.Pair) ([]CoursePreview, error) {
	emails, courses := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		emails[i], courses[i] = p.Email, p.Course
	}
	rows, err := s.pool.Query(ctx, `SELECT l.course, count(*), count(e.email), c.key IS NOT NULL
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS l(email, course, n)
		LEFT JOIN courses c ON c.key = l.course
		LEFT JOIN enrollments e ON e.course_key = l.course AND e.email = l.email
		GROUP BY l.course, c.key ORDER BY min(l.n)`, emails, courses)
	if err != nil {
		return nil, fmt.Errorf("preview enrollment: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CoursePreview])
}
