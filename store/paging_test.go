package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// walk pages through a list forward to its end and back to its start,
// returning the ids of each page in both directions.
func walk[T any](t *testing.T, list func(after, before string) ([]T, string, string), id func(T) string) (forward, back [][]string) {
	t.Helper()
	ids := func(rows []T) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = id(r)
		}
		return out
	}
	rows, next, prev := list("", "")
	if prev != "" {
		t.Fatalf("the first page offers a previous page %q", prev)
	}
	forward = append(forward, ids(rows))
	for next != "" {
		rows, next, prev = list(next, "")
		if prev == "" {
			t.Fatal("a later page offers no way back")
		}
		forward = append(forward, ids(rows))
	}
	back = append(back, forward[len(forward)-1])
	for prev != "" {
		rows, next, prev = list("", prev)
		if next == "" {
			t.Fatal("a page reached going back offers no way forward")
		}
		back = append(back, ids(rows))
	}
	slices.Reverse(back)
	return forward, back
}

func TestListPlans_PagesBothWaysInEachSort(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	const n = 23
	for i := range n {
		// Seats repeat, so ties are broken by id across page boundaries.
		if _, err := s.CreatePlan(ctx, NewPlan{Name: fmt.Sprintf("Plan %02d", (i*7)%n), Seats: i % 5}, SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	if total, err := s.CountPlans(ctx, ""); err != nil || total != n {
		t.Fatalf("CountPlans = %d, %v", total, err)
	}
	for _, sort := range []PlanSort{PlanSortName, PlanSortSeats, PlanSortExpires} {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/desc=%v", sort, desc), func(t *testing.T) {
				list := func(after, before string) ([]Plan, string, string) {
					p, err := s.ListPlans(ctx, PlanFilter{Sort: sort, Desc: desc, After: after, Before: before, Limit: 5})
					if err != nil {
						t.Fatal(err)
					}
					return p.Plans, p.NextAfter, p.PrevBefore
				}
				forward, back := walk(t, list, func(p Plan) string { return p.ID })
				if len(forward) != 5 || !slices.EqualFunc(forward, back, slices.Equal) {
					t.Fatalf("forward %v, back %v", forward, back)
				}
				all := slices.Concat(forward...)
				if len(all) != n || len(slices.Compact(slices.Sorted(slices.Values(all)))) != n {
					t.Fatalf("the pages hold %d plans, some twice: %v", len(all), all)
				}
			})
		}
	}
}

func TestListLicenses_PagesBothWaysInEachOrderWithTotals(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 40)
	var list []string
	for i := range 27 {
		list = append(list, fmt.Sprintf("user%02d@paging.example", (i*11)%27)) // not in email order
	}
	assign(t, s, p.ID, mustList(t, strings.Join(list, "\n")))
	// Revoked and licensed again: one address on two rows, live and revoked,
	// so the email order's ties go by id across statuses.
	if _, err := s.RevokeLicenses(ctx, p.ID, []string{"user03@paging.example", "user20@paging.example"}, SystemActor); err != nil {
		t.Fatal(err)
	}
	assign(t, s, p.ID, mustList(t, "user03@paging.example"))
	const rows = 28
	for _, tt := range []struct {
		sort LicenseSort
		desc bool
		less func(a, b License) bool // the order the pages must be in
	}{
		{LicenseSortAssigned, false, func(a, b License) bool { return a.ID < b.ID }},
		{LicenseSortAssigned, true, func(a, b License) bool { return a.ID > b.ID }},
		{LicenseSortEmail, false, func(a, b License) bool { return a.Email < b.Email || a.Email == b.Email && a.ID < b.ID }},
		{LicenseSortEmail, true, func(a, b License) bool { return a.Email > b.Email || a.Email == b.Email && a.ID > b.ID }},
	} {
		t.Run(fmt.Sprintf("%s/desc=%v", tt.sort, tt.desc), func(t *testing.T) {
			var seen []License
			pages := func(after, before string) ([]License, string, string) {
				page, err := s.ListLicenses(ctx, p.ID, LicenseFilter{Sort: tt.sort, Desc: tt.desc, After: after, Before: before, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if before == "" {
					seen = append(seen, page.Licenses...)
				}
				return page.Licenses, page.NextCursor, page.PrevCursor
			}
			forward, back := walk(t, pages, func(l License) string { return strconv.FormatInt(l.ID, 10) })
			if len(forward) != 3 || !slices.EqualFunc(forward, back, slices.Equal) || len(slices.Concat(forward...)) != rows {
				t.Fatalf("forward %v, back %v", forward, back)
			}
			for i := 1; i < len(seen); i++ {
				if !tt.less(seen[i-1], seen[i]) {
					t.Fatalf("%s (%d) listed before %s (%d)", seen[i-1].Email, seen[i-1].ID, seen[i].Email, seen[i].ID)
				}
			}
		})
	}
	for _, tt := range []struct {
		f    LicenseFilter
		want int
	}{
		{LicenseFilter{}, rows},
		{LicenseFilter{Status: LicenseRevoked}, 2},
		{LicenseFilter{Status: LicenseUnassigned}, 0},
		{LicenseFilter{Q: "USER1"}, 10},
		{LicenseFilter{Q: "user03", Status: LicenseRevoked}, 1},
	} {
		if got, err := s.CountLicenses(ctx, p.ID, tt.f); err != nil || got != tt.want {
			t.Errorf("CountLicenses(%+v) = %d, %v; want %d", tt.f, got, err, tt.want)
		}
	}
}

// A cursor is read only in the order that made it: any other is a bad
// request, as a made-up one is.
func TestListLicenses_ACursorOfAnotherOrderIsRefused(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 5)
	assign(t, s, p.ID, mustList(t, "a@example.com\nb@example.com\nc@example.com"))
	orders := []LicenseFilter{{}, {Desc: true}, {Sort: LicenseSortEmail}, {Sort: LicenseSortEmail, Desc: true}}
	for i, made := range orders {
		made.Limit = 1
		page, err := s.ListLicenses(ctx, p.ID, made)
		if err != nil || page.NextCursor == "" {
			t.Fatalf("%+v: %v, next %q", made, err, page.NextCursor)
		}
		for j, used := range orders {
			used.After = page.NextCursor
			_, err := s.ListLicenses(ctx, p.ID, used)
			if wantOK := i == j; (err == nil) != wantOK || err != nil && ErrorCode(err) != EBadRequest {
				t.Errorf("cursor of %+v read in %+v: %v", made, used, err)
			}
		}
	}
	for _, bad := range []string{"nope", "14000", "assigned.x", "email.1", "email.1.!!", "assigned.01", "-assigned.1.YQ"} {
		if _, err := s.ListLicenses(ctx, p.ID, LicenseFilter{After: bad}); ErrorCode(err) != EBadRequest {
			t.Errorf("cursor %q: %v, want a bad request", bad, err)
		}
	}
	if _, err := s.ListLicenses(ctx, p.ID, LicenseFilter{Sort: "seats"}); ErrorCode(err) != EBadRequest {
		t.Errorf("sort by seats: %v, want a bad request", err)
	}
}
