package store

import (
	"context"
	"fmt"
	"time"
)

// pruneRule says when a row of a table has outlived its use: once column
// is older than now less keep (a keep of 0 for an expiry timestamp).
type pruneRule struct {
	table  string
	column string
	keep   time.Duration
}

// prunable lists the tables whose rows are only kept until they expire,
// one line each. Tables whose history the product needs (block versions,
// the audit log, jobs) are not here.
var prunable = []pruneRule{
	{table: "web_sessions", column: "expires_at"},
	{table: "api_tokens", column: "expires_at"},
	{table: "sign_in_attempts", column: "last_at", keep: throttleWindow}, // their window ended: they count no more
	{table: "enrollment_results", column: "created_at", keep: resultRetention},
	{table: "staged_lists", column: "expires_at"},
}

// PruneBatch bounds the rows one housekeeping run deletes from each table,
// so every run is short and its statements small; a backlog clears over a
// few runs.
const PruneBatch = 5000

// Pruned is how many expired rows a housekeeping run deleted, by table.
type Pruned map[string]int64

// Prune deletes expired rows, at most limit from each table, and reports how
// many it removed where. Each table is one statement of its own, so a
// failure leaves what was pruned before it pruned.
func (s *Store) Prune(ctx context.Context, limit int) (Pruned, error) {
	now := s.Now()
	pruned := Pruned{}
	for _, r := range prunable {
		// ctid picks the batch without naming each table's key.
		tag, err := s.pool.Exec(ctx, `DELETE FROM `+r.table+` WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM `+r.table+` WHERE `+r.column+` < $1 LIMIT $2))`, now.Add(-r.keep), limit)
		if err != nil {
			return pruned, fmt.Errorf("prune %s: %w", r.table, err)
		}
		if n := tag.RowsAffected(); n > 0 {
			pruned[r.table] = n
		}
	}
	return pruned, nil
}
