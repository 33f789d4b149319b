package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/emaillist"
)

// loadDemoEnrollments enrolls a few learners in the first two courses. It
// creates two plain courses only when course authoring has loaded none.
func (s *Store) loadDemoEnrollments(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO courses (key, title)
		SELECT v.key, v.title FROM (VALUES
			('course-v1:Demo+CS101+2026', 'Introduction to Computer Science'),
			('course-v1:Demo+DS201+2026', 'Data Science Basics')) AS v (key, title)
		WHERE NOT EXISTS (SELECT 1 FROM courses)`)
	if err != nil {
		return fmt.Errorf("demo courses: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT key FROM courses ORDER BY key LIMIT 2`)
	if err != nil {
		return fmt.Errorf("demo courses: %w", err)
	}
	courses, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("demo courses: %w", err)
	}
	learners := []string{"grace", "alan", "barbara", "edsger", "frances", "ken", "margaret", "dennis"}
	var pairs []emaillist.Pair
	for i, course := range courses {
		for _, name := range learners[i*2:] {
			pairs = append(pairs, emaillist.Pair{Index: len(pairs), Email: name + "@learners.example.com", Course: course})
		}
	}
	_, err = s.Enroll(ctx, pairs, nil, SystemActor)
	return err
}
