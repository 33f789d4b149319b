package store

import (
	"context"
	"fmt"
)

// Overview is the handful of numbers on the dashboard.
type Overview struct {
	People     int
	APIClients int
	HeldLocks  int
	Plans      int
	Seats      int // across all plans
	SeatsUsed  int // assigned or activated
}

// ReadOverview counts what the dashboard shows, in one round trip. Seats
// in use are summed from the plans' kept counters, one row per plan, not
// counted over every license.
func (s *Store) ReadOverview(ctx context.Context) (Overview, error) {
	var o Overview
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM people WHERE deactivated_at IS NULL),
		(SELECT count(*) FROM api_clients WHERE disabled_at IS NULL),
		(SELECT count(*) FROM locks WHERE released_at IS NULL AND expires_at > $1),
		(SELECT count(*) FROM plans),
		(SELECT coalesce(sum(seats), 0) FROM plans),
		(SELECT coalesce(sum(in_use), 0) FROM plans)`, s.Now()).
		Scan(&o.People, &o.APIClients, &o.HeldLocks, &o.Plans, &o.Seats, &o.SeatsUsed)
	if err != nil {
		return Overview{}, fmt.Errorf("read overview: %w", err)
	}
	return o, nil
}
