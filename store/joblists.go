package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// listChunk is how many addresses of an accepted list one row of job_lists
// holds, and so how many one statement of its job takes: the job reports
// progress between chunks and holds one in memory at a time.
const listChunk = 10_000

// storeList keeps an accepted list (valid, lower-cased, de-duplicated) for
// its job, in chunks of listChunk, in list order: one COPY, a row per chunk.
func storeList(ctx context.Context, tx pgx.Tx, jobID string, addresses []string) error {
	chunks := (len(addresses) + listChunk - 1) / listChunk
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"job_lists"}, []string{"job_id", "chunk", "emails"},
		pgx.CopyFromSlice(chunks, func(i int) ([]any, error) {
			return []any{jobID, i, addresses[i*listChunk : min((i+1)*listChunk, len(addresses))]}, nil
		}))
	if err != nil {
		return fmt.Errorf("store the list of job %s: %w", jobID, err)
	}
	return nil
}

// eachChunk calls fn with each chunk of a job's list in order, and with the
// count of addresses before it. A list already dropped has no chunks.
func eachChunk(ctx context.Context, tx pgx.Tx, jobID string, fn func(before int, emails []string) error) error {
	before := 0
	for chunk := 0; ; chunk++ {
		var emails []string
		err := tx.QueryRow(ctx, `SELECT emails FROM job_lists WHERE job_id = $1 AND chunk = $2`, jobID, chunk).Scan(&emails)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the list of job %s: %w", jobID, err)
		}
		if err := fn(before, emails); err != nil {
			return err
		}
		before += len(emails)
	}
}

// dropList deletes the list a job will no longer work through.
func dropList(ctx context.Context, tx pgx.Tx, jobID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM job_lists WHERE job_id = $1`, jobID); err != nil {
		return fmt.Errorf("drop the list of job %s: %w", jobID, err)
	}
	return nil
}
