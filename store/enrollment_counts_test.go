package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/seatplan/seatplan/store/emaillist"
)

// Racing bulk enrollments (overlapping, so some pairs exist already) and
// unenrollments leave every course's kept count equal to a fresh count.
func TestEnrollmentCounts_KeptCountsEqualAFreshCountAfterRacingWork(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	courses := []string{"course-a", "course-b", "course-c"}
	seedCourses(t, s, courses...)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(7, uint64(w)))
			for range 5 {
				var pairs []emaillist.Pair
				for i := range 1 + rng.IntN(40) {
					pairs = append(pairs, emaillist.Pair{Index: i, Email: fmt.Sprintf("l%02d@example.com", rng.IntN(60)), Course: courses[rng.IntN(len(courses))]})
				}
				if _, err := s.Enroll(ctx, dedupePairs(pairs), nil, enrollingAdmin); err != nil {
					t.Error(err)
				}
				err := s.Unenroll(ctx, courses[rng.IntN(len(courses))], fmt.Sprintf("l%02d@example.com", rng.IntN(60)), enrollingAdmin)
				if err != nil && ErrorCode(err) != ENotFound {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	kept, err := s.EnrollmentCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range kept {
		var counted int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM enrollments WHERE course_key = $1`, c.Key).Scan(&counted); err != nil {
			t.Fatal(err)
		}
		page, err := s.CourseEnrollments(ctx, c.Key, EnrollmentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Enrolled != counted || page.Total != counted || counted == 0 {
			t.Errorf("course %s: kept %d (learners page %d), counted %d", c.Key, c.Enrolled, page.Total, counted)
		}
	}
}

// dedupePairs keeps the first of pairs repeating an (email, course), as the
// list reader does before enrolling.
func dedupePairs(pairs []emaillist.Pair) []emaillist.Pair {
	seen := map[[2]string]bool{}
	var out []emaillist.Pair
	for _, p := range pairs {
		if k := [2]string{p.Email, p.Course}; !seen[k] {
			seen[k] = true
			p.Index = len(out)
			out = append(out, p)
		}
	}
	return out
}
