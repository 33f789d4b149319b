package store

import (
	"context"
	"fmt"
	"slices"
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

func TestListLicenses_PagesBothWaysWithTotals(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 40)
	var list []string
	for i := range 27 {
		list = append(list, fmt.Sprintf("user%02d@paging.example", i))
	}
	assign(t, s, p.ID, mustList(t, strings.Join(list, "\n")))
	f := LicenseFilter{ExcludeUnassigned: true, Limit: 10}
	pages := func(after, before string) ([]License, string, string) {
		f := f
		f.After, f.Before = after, before
		page, err := s.ListLicenses(ctx, p.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		return page.Licenses, page.NextCursor, page.PrevCursor
	}
	forward, back := walk(t, pages, func(l License) string { return l.Email })
	if len(forward) != 3 || !slices.EqualFunc(forward, back, slices.Equal) || len(slices.Concat(forward...)) != 27 {
		t.Fatalf("forward %v, back %v", forward, back)
	}
	for _, tt := range []struct {
		f    LicenseFilter
		want int
	}{
		{LicenseFilter{ExcludeUnassigned: true}, 27},
		{LicenseFilter{}, 40},
		{LicenseFilter{Status: LicenseUnassigned}, 13},
		{LicenseFilter{ExcludeUnassigned: true, Q: "USER1"}, 10},
	} {
		if got, err := s.CountLicenses(ctx, p.ID, tt.f); err != nil || got != tt.want {
			t.Errorf("CountLicenses(%+v) = %d, %v; want %d", tt.f, got, err, tt.want)
		}
	}
}
