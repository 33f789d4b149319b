package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func noEnqueue(context.Context, pgx.Tx, string) error { return nil }

func importTree(t *testing.T, raw string) ImportBlock {
	t.Helper()
	var root ImportBlock
	if err := json.Unmarshal([]byte(raw), &root); err != nil {
		t.Fatal(err)
	}
	return root
}

const sampleImport = `{"type": "course", "children": [
	{"type": "chapter", "display_name": "Imported week", "children": [
		{"type": "sequential", "display_name": "Seq", "children": [
			{"type": "vertical", "display_name": "Unit", "children": [
				{"type": "problem", "display_name": "Quiz", "fields": {"weight": 2}}]}]}]}]}`

// acceptImport accepts sampleImport into the fixture's course and returns
// it as its job will read it.
func acceptImport(t *testing.T, f courseFixture) CourseImport {
	t.Helper()
	job, err := f.s.ImportCourse(context.Background(), f.key, importTree(t, sampleImport), f.author, time.Minute, noEnqueue)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := f.s.CourseImportOf(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func TestImportCourse_ReplacesTheContentAsImportVersionsUnderTheLock(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	imp := acceptImport(t, f)
	name := "during import"
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name}, f.author, SourceAPI); !isLocked(err) {
		t.Errorf("an edit while the import holds the course: %v, want ErrLocked", err)
	}
	if _, err := f.s.ImportCourse(ctx, f.key, importTree(t, sampleImport), f.author, time.Minute, noEnqueue); !isLocked(err) {
		t.Errorf("a second import: %v, want ErrLocked", err)
	}

	lease, err := f.s.ResumeLock(ctx, imp.Lease, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.s.RunCourseImport(ctx, imp, lease)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 4 || res.Deleted != 1 || res.OpID == "" {
		t.Errorf("result %+v", res)
	}
	if op, err := f.s.CourseOperation(ctx, f.key, res.OpID, f.author); err != nil || op.Source != SourceImport || op.Changes != 10 || op.Blocks != 10 {
		t.Errorf("the import's operation %+v (%v), want one import operation of 10 versions", op, err)
	}
	root := f.block(t, f.root.ID)
	if len(root.Children) != 1 || root.Children[0] == f.chapter.ID {
		t.Fatalf("course children after import: %v", root.Children)
	}
	imported := f.history(t, HistoryFilter{Source: SourceImport, Limit: 200})
	kinds := map[ChangeKind]int{}
	for _, v := range imported {
		kinds[v.Change]++
	}
	if kinds[ChangeCreate] != 4 || kinds[ChangeDelete] != 5 || kinds[ChangeMove] != 1 {
		t.Errorf("import versions by change %v, want 4 creates, 5 deletes (the old subtree) and the course block's move", kinds)
	}
	if j, _ := f.s.Job(ctx, imp.JobID); j.Status != JobSucceeded {
		t.Errorf("job %s", j.Status)
	}
	// The transaction that finished the job freed the course: no release
	// by the worker is needed before the next edit.
	if held, ok, _ := f.s.HeldLock(ctx, CourseLockName(f.key)); ok {
		t.Errorf("the course lock is still held by %s right after the import finished", held.Holder)
	}

	// The replaced chapter is restorable like any deleted block.
	del := f.history(t, HistoryFilter{Block: f.chapter.ID, Limit: 1})[0]
	if _, err := f.s.UndoVersion(ctx, f.key, del.VersionID, f.author); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.root.ID).Children; !slices.Contains(got, f.chapter.ID) || len(got) != 2 {
		t.Errorf("after restoring the old chapter: %v", got)
	}
}

// runImport runs an accepted import as the worker does: it resumes the
// request's lease, marks the job running, does the work and releases the lease.
func runImport(t *testing.T, f courseFixture, imp CourseImport) ImportResult {
	t.Helper()
	ctx := context.Background()
	lease, err := f.s.ResumeLock(ctx, imp.Lease, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer f.s.ReleaseLock(ctx, lease)
	if _, err := f.s.StartJob(ctx, imp.JobID); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.RunCourseImport(ctx, imp, lease)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunCourseImport_RetriedJobImportsNothingTwice(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	imp := acceptImport(t, f)
	counts := func() (blocks, versions int) {
		t.Helper()
		if err := f.s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM blocks WHERE course_key = $1),
			(SELECT count(*) FROM block_versions WHERE course_key = $1)`, f.key).Scan(&blocks, &versions); err != nil {
			t.Fatal(err)
		}
		return blocks, versions
	}
	first := runImport(t, f, imp)
	blocks, versions := counts()
	runImport(t, f, imp) // a retry after the first attempt committed
	if b, v := counts(); b != blocks || v != versions {
		t.Errorf("the retry changed the course: %d blocks and %d versions, was %d and %d", b, v, blocks, versions)
	}
	if got := f.block(t, f.root.ID).Children; len(got) != 1 || got[0] == f.chapter.ID {
		t.Errorf("course children after the retry: %v, want the one imported chapter", got)
	}
	j, _ := f.s.Job(ctx, imp.JobID)
	var res ImportResult
	if err := json.Unmarshal(j.Result, &res); err != nil || j.Status != JobSucceeded || res != first {
		t.Errorf("job %s %s, want succeeded with the first attempt's result %+v", j.Status, j.Result, first)
	}
}

func TestRunCourseImport_AStaleLeaseWritesNothing(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	imp := acceptImport(t, f)
	stale, err := f.s.ResumeLock(ctx, imp.Lease, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ResumeLock(ctx, imp.Lease, time.Minute); err != nil { // a retry fences the first attempt off
		t.Fatal(err)
	}
	if _, err := f.s.RunCourseImport(ctx, imp, stale); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("import under a superseded lease: %v, want ErrLeaseLost", err)
	}
	if got := f.block(t, f.root.ID).Children; !slices.Equal(got, []string{f.chapter.ID}) {
		t.Errorf("the fenced import changed the course: %v", got)
	}
}

func TestImportCourse_RefusesMisplacedBlocksNamingWhere(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	bad := importTree(t, `{"children": [{"type": "chapter", "display_name": "C", "children": [{"type": "html", "display_name": "x"}]}]}`)
	_, err := f.s.ImportCourse(context.Background(), f.key, bad, f.author, time.Minute, noEnqueue)
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != EInvalid || e.Message[:22] != "children[0].children[0" {
		t.Errorf("got %v", err)
	}
	if _, held, _ := f.s.HeldLock(context.Background(), CourseLockName(f.key)); held {
		t.Error("a refused import left the course locked")
	}
}

func isLocked(err error) bool {
	_, ok := errors.AsType[*ErrLocked](err)
	return ok
}
