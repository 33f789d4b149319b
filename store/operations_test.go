package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func (f courseFixture) ops(t *testing.T, of OperationFilter) []Operation {
	t.Helper()
	page, err := f.s.CourseOperations(context.Background(), f.key, of, f.author)
	if err != nil {
		t.Fatal(err)
	}
	return page.Operations
}

func (f courseFixture) lastOp(t *testing.T) Operation {
	t.Helper()
	return f.ops(t, OperationFilter{Limit: 1})[0]
}

func (f courseFixture) tree(t *testing.T) TreeBlock {
	t.Helper()
	tree, err := f.s.CourseTree(context.Background(), f.key, nil, f.author)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func (f courseFixture) revert(t *testing.T, opID string, force bool) RevertResult {
	t.Helper()
	res, err := f.s.RevertOperation(context.Background(), f.key, opID, force, f.author)
	if err != nil {
		t.Fatalf("revert %s: %v", opID, err)
	}
	return res
}

// counts is every version and operation of the fixture's course, to show
// that a refusal wrote nothing.
func (f courseFixture) counts(t *testing.T) [2]int {
	t.Helper()
	var n [2]int
	if err := f.s.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM block_versions WHERE course_key = $1),
		(SELECT count(*) FROM course_operations WHERE course_key = $1)`, f.key).Scan(&n[0], &n[1]); err != nil {
		t.Fatal(err)
	}
	return n
}

// shape renders a tree as names and field values, indented, to compare trees in failures.
func shape(t TreeBlock) string {
	var b strings.Builder
	var walk func(t TreeBlock, depth int)
	walk = func(t TreeBlock, depth int) {
		var fields any
		json.Unmarshal(t.Fields, &fields)
		fmt.Fprintf(&b, "%s%s %s %q %v\n", strings.Repeat("  ", depth), t.ID, t.Type, t.DisplayName, fields)
		for _, c := range t.Children {
			walk(c, depth+1)
		}
	}
	walk(t, 0)
	return b.String()
}

func TestOperations_OneRowPerActionNewestFirst(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ops := f.ops(t, OperationFilter{Limit: 200})
	if len(ops) != 6 {
		t.Fatalf("%d operations, want the course's creation and five creates", len(ops))
	}
	create := ops[0]
	if create.Summary != `Created video "Talk" in vertical "Unit 1"` || create.Changes != 2 || create.Blocks != 2 ||
		!slices.Contains(create.BlockIDs, f.v.ID) || !slices.Contains(create.BlockIDs, f.vertical.ID) || create.Source != SourceUI {
		t.Errorf("the newest operation %+v, want the video's create with its parent's move", create)
	}
	for i := 1; i < len(ops); i++ {
		if ops[i].Seq >= ops[i-1].Seq || ops[i].At.After(ops[i-1].At) {
			t.Errorf("operations out of order at %d", i)
		}
	}
	for _, v := range f.history(t, HistoryFilter{Limit: 200}) {
		if !slices.ContainsFunc(ops, func(o Operation) bool { return o.ID == v.OpID && o.At.Equal(v.At) }) {
			t.Errorf("version %s belongs to no listed operation at its time", v.VersionID)
		}
	}

	var seen []string
	var cursor OperationCursor
	for {
		page, err := f.s.CourseOperations(context.Background(), f.key, OperationFilter{Limit: 4, Before: cursor}, f.author)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Operations {
			seen = append(seen, o.ID)
		}
		if cursor = page.NextCursor; cursor == 0 {
			break
		}
	}
	want := make([]string, len(ops))
	for i, o := range ops {
		want[i] = o.ID
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paging by 4 gave %v, want %v", seen, want)
	}
	if got := f.ops(t, OperationFilter{Source: SourceAPI}); len(got) != 1 || got[0].Summary != "Created course course-v1:Test+T1+2026 (Testing 101)" {
		t.Errorf("source filter: %+v", got)
	}
	if got := f.ops(t, OperationFilter{Block: f.vertical.ID}); len(got) != 3 {
		t.Errorf("block filter: %d operations touched the vertical, want its create and its two children's", len(got))
	}
	if got := f.ops(t, OperationFilter{Actor: "nobody@example.com"}); len(got) != 0 {
		t.Errorf("actor filter: %+v", got)
	}
}

func TestOperations_AreImmutableAndCountTheirVersions(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE course_operations SET summary = 'rewritten'`,
		`DELETE FROM course_operations`,
		`TRUNCATE course_operations CASCADE`,
	} {
		if _, err := f.s.pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}
	_, err := f.s.pool.Exec(ctx, `INSERT INTO course_operations (op_id, course_key, source, actor_kind, actor_id, actor_name, at, summary, changes, blocks, block_ids)
		VALUES ('01FAKE', $1, 'api', 'system', 's', 's', now(), 'claims two versions', 2, 1, ARRAY[$2])`, f.key, f.root.ID)
	if err == nil {
		t.Error("an operation without the versions it counts was accepted")
	}
}

func TestRevertOperation_FieldEditGoesBack(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	name := "Renamed"
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name, Fields: json.RawMessage(`{"n": 2, "body": "x"}`)}, f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	edit := f.lastOp(t)
	res := f.revert(t, edit.ID, false)
	if b := f.block(t, f.html.ID); b.DisplayName != "Intro" || string(b.Fields) != `{"n": 1}` {
		t.Errorf("after the revert the block is %q %s", b.DisplayName, b.Fields)
	}
	undo := f.lastOp(t)
	if res.Reverted != 1 || undo.ID != res.OpID || undo.Source != SourceUndo || undo.Reverts != edit.ID || undo.Changes != 1 {
		t.Errorf("revert %+v wrote operation %+v", res, undo)
	}
	if again := f.ops(t, OperationFilter{Limit: 2})[1]; again.UndoneBy != undo.ID {
		t.Errorf("the edit does not say it was undone: %+v", again)
	}
	audit, err := f.s.ListAudit(ctx, AuditFilter{Action: "course.revert"})
	if err != nil || len(audit.Entries) != 1 || audit.Entries[0].Actor.ID != f.author.ID {
		t.Errorf("audit of the revert: %+v %v", audit.Entries, err)
	}
}

func TestRevertOperation_CreateDeletesTheBlockItCreated(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	create := f.lastOp(t) // the video
	f.revert(t, create.ID, false)
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID}) {
		t.Errorf("the vertical holds %v after undoing the video's create", got)
	}
	if _, err := f.s.Block(context.Background(), f.key, f.v.ID, f.author); ErrorCode(err) != ENotFound {
		t.Errorf("the created block reads as %v, want deleted", err)
	}
}

func TestRevertOperation_DeleteOfASubtreeBringsItBackWithItsIDsInPlace(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	second, err := f.s.CreateBlock(ctx, f.key, NewBlock{ParentID: f.root.ID, Type: BlockChapter, DisplayName: "Week 2"}, f.author, SourceUI)
	if err != nil {
		t.Fatal(err)
	}
	before := f.tree(t)
	if err := f.s.DeleteBlock(ctx, f.key, f.chapter.ID, "", f.author, SourceUI); err != nil {
		t.Fatal(err)
	}
	del := f.lastOp(t)
	if del.Blocks != 6 || !strings.HasPrefix(del.Summary, `Deleted chapter "Week 1" and the 4 blocks inside it`) {
		t.Errorf("delete operation %+v", del)
	}
	res := f.revert(t, del.ID, false)
	if after := f.tree(t); !reflect.DeepEqual(after, before) {
		t.Errorf("after the revert\n%s\nwant\n%s", shape(after), shape(before))
	}
	if res.Reverted != 6 {
		t.Errorf("reverted %d blocks, want the 5 of the subtree and the course block", res.Reverted)
	}
	if got := f.block(t, f.root.ID).Children; !slices.Equal(got, []string{f.chapter.ID, second.ID}) {
		t.Errorf("course children %v", got)
	}
}

func TestRevertOperation_ReorderGoesBack(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	if _, err := f.s.ReorderChildren(context.Background(), f.key, f.vertical.ID, []string{f.v.ID, f.html.ID}, "", f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	f.revert(t, f.lastOp(t).ID, false)
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID, f.v.ID}) {
		t.Errorf("children %v after undoing the reorder", got)
	}
}

func TestRevertOperation_BlockRestoreThatMovedChildrenGoesBack(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	// Restoring the vertical's first version (no children) removes both
	// leaves in one operation: a move of its children.
	first := f.history(t, HistoryFilter{Block: f.vertical.ID, Limit: 200})
	if _, err := f.s.RestoreVersion(ctx, f.key, f.vertical.ID, first[len(first)-1].VersionID, f.author); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.vertical.ID).Children; len(got) != 0 {
		t.Fatalf("the restore left %v", got)
	}
	f.revert(t, f.lastOp(t).ID, false)
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID, f.v.ID}) {
		t.Errorf("children %v after undoing the move", got)
	}
}

func TestRevertOperation_ImportComesOffAndTheOldContentBack(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	before := f.tree(t)
	imp := acceptImport(t, f)
	res := runImport(t, f, imp)
	job, err := f.s.Job(ctx, imp.JobID)
	if err != nil {
		t.Fatal(err)
	}
	var jobResult ImportResult
	if err := json.Unmarshal(job.Result, &jobResult); err != nil || jobResult.OpID != res.OpID || res.OpID == "" {
		t.Fatalf("the job's result %s names operation %q, want %q", job.Result, jobResult.OpID, res.OpID)
	}
	imported := f.tree(t)
	f.revert(t, res.OpID, false)
	if after := f.tree(t); !reflect.DeepEqual(after, before) {
		t.Errorf("after undoing the import\n%s\nwant\n%s", shape(after), shape(before))
	}
	// Undoing the undo brings the import back, with the same ids.
	f.revert(t, f.lastOp(t).ID, false)
	if again := f.tree(t); !reflect.DeepEqual(again, imported) {
		t.Errorf("after undoing the undo\n%s\nwant\n%s", shape(again), shape(imported))
	}
}

func TestRevertOperation_LaterChangesRefuseItUnlessForced(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	first, second := "First", "Second"
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &first}, f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	edit := f.lastOp(t)
	other := createPerson(t, f.s, "other@example.com", RoleAdmin).Actor()
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &second}, other, SourceUI); err != nil {
		t.Fatal(err)
	}
	later := f.lastOp(t)
	n := f.counts(t)
	_, err := f.s.RevertOperation(ctx, f.key, edit.ID, false, f.author)
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Code != EConflict || e.Reason != ReasonLaterChanges {
		t.Fatalf("revert over a later change: %v, want a conflict", err)
	}
	conflicts := e.Detail.(LaterChanges).Conflicts
	if len(conflicts) != 1 || conflicts[0].BlockID != f.html.ID || conflicts[0].OpID != later.ID || conflicts[0].Actor != "other@example.com" ||
		!conflicts[0].At.Equal(later.At) {
		t.Errorf("conflicts %+v, want the other person's edit", conflicts)
	}
	if f.counts(t) != n || f.block(t, f.html.ID).DisplayName != second {
		t.Error("the refused revert wrote something")
	}
	preview, err := f.s.PreviewRevert(ctx, f.key, edit.ID, f.author)
	if err != nil || preview.ConflictBlocks != 1 || len(preview.Conflicts) != 1 || preview.Updates != 1 || f.counts(t) != n {
		t.Errorf("preview %+v %v", preview, err)
	}
	f.revert(t, edit.ID, true)
	if got := f.block(t, f.html.ID).DisplayName; got != "Intro" {
		t.Errorf("forced revert left %q", got)
	}
}

func TestRevertOperation_ParentDeletedSinceIsRefusedOrComesBackWithForce(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	if err := f.s.DeleteBlock(ctx, f.key, f.html.ID, "", f.author, SourceUI); err != nil {
		t.Fatal(err)
	}
	del := f.lastOp(t)
	other := createPerson(t, f.s, "other@example.com", RoleAdmin).Actor()
	if err := f.s.DeleteBlock(ctx, f.key, f.seq.ID, "", other, SourceAPI); err != nil {
		t.Fatal(err)
	}
	n := f.counts(t)
	_, err := f.s.RevertOperation(ctx, f.key, del.ID, false, f.author)
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != EConflict || !strings.Contains(e.Message, "Later changes touched 1 of the blocks") {
		t.Errorf("undoing a delete whose parent was deleted since: %v", err)
	} else if cs := e.Detail.(LaterChanges).Conflicts; len(cs) != 1 || cs[0].BlockID != f.vertical.ID {
		t.Errorf("conflicts %+v, want the vertical deleted since", cs)
	}
	if f.counts(t) != n {
		t.Error("the refused revert wrote something")
	}
	f.revert(t, del.ID, true)
	// The leaf comes back under its vertical, and the vertical under its
	// sequential, which holds only what came back into it.
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID, f.v.ID}) {
		t.Errorf("the vertical holds %v", got)
	}
	if got := f.block(t, f.seq.ID).Children; !slices.Equal(got, []string{f.vertical.ID}) {
		t.Errorf("the sequential holds %v", got)
	}
	if got := f.block(t, f.chapter.ID).Children; !slices.Equal(got, []string{f.seq.ID}) {
		t.Errorf("the chapter holds %v", got)
	}
}

func TestRevertOperation_UnknownOtherCourseAndCreationAreRefused(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	other, err := f.s.CreateCourse(ctx, "secret-course", "Secret plans", f.author, SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.s.CourseOperations(ctx, other.Key, OperationFilter{}, f.author)
	if err != nil {
		t.Fatal(err)
	}
	foreign := page.Operations[0].ID
	for name, op := range map[string]string{"unknown": "01NOSUCHOPERATION", "other course": foreign} {
		_, err := f.s.RevertOperation(ctx, f.key, op, true, f.author)
		if ErrorCode(err) != ENotFound || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "Secret") {
			t.Errorf("%s: %v, want a 404 that names no other course", name, err)
		}
	}
	creation := f.ops(t, OperationFilter{Limit: 200})
	if _, err := f.s.RevertOperation(ctx, f.key, creation[len(creation)-1].ID, true, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("undoing the course's creation: %v, want 422", err)
	}
	if _, err := f.s.AcquireLock(ctx, CourseLockName(f.key), testActor("importer"), "import", time.Minute); err != nil {
		t.Fatal(err)
	}
	n := f.counts(t)
	if _, err := f.s.RevertOperation(ctx, f.key, f.lastOp(t).ID, false, f.author); !isLocked(err) {
		t.Errorf("revert under a held course lock: %v, want ErrLocked", err)
	}
	if _, err := f.s.RestoreCourse(ctx, f.key, time.Now(), f.author); !isLocked(err) {
		t.Errorf("restore under a held course lock: %v, want ErrLocked", err)
	}
	if f.counts(t) != n {
		t.Error("a refused revert wrote something")
	}
}

func TestRevertOperation_TwiceIsAConflictAndForcedChangesNothing(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	create := f.lastOp(t)
	f.revert(t, create.ID, false)
	if _, err := f.s.RevertOperation(ctx, f.key, create.ID, false, f.author); ErrorCode(err) != EConflict ||
		!strings.Contains(err.Error(), "already undone") {
		t.Errorf("undoing twice: %v, want a conflict saying it was undone", err)
	}
	if _, err := f.s.RevertOperation(ctx, f.key, create.ID, true, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("undoing twice with force: %v, want 422 nothing to undo", err)
	}
}

func TestRestoreCourse_GivesBackTheSnapshotTakenAtThatInstant(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	second, err := f.s.CreateBlock(ctx, f.key, NewBlock{ParentID: f.root.ID, Type: BlockChapter, DisplayName: "Week 2", Fields: json.RawMessage(`{"x": [1, 2]}`)}, f.author, SourceUI)
	if err != nil {
		t.Fatal(err)
	}
	snapshot, then := f.tree(t), f.lastOp(t).At

	// Everything a course goes through: edits, a reorder, a delete, a
	// restore, new blocks, and an import replacing it all.
	name := "Edited"
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name, Fields: json.RawMessage(`{"body": "new"}`)}, f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ReorderChildren(ctx, f.key, f.root.ID, []string{second.ID, f.chapter.ID}, "", f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteBlock(ctx, f.key, f.v.ID, "", f.author, SourceUI); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CreateBlock(ctx, f.key, NewBlock{ParentID: second.ID, Type: BlockSequential, DisplayName: "Later"}, f.author, SourceUI); err != nil {
		t.Fatal(err)
	}
	midway := f.tree(t)
	runImport(t, f, acceptImport(t, f))

	past, err := f.s.CourseTree(ctx, f.key, &then, f.author)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(past, snapshot) {
		t.Errorf("the tree at that instant\n%s\nwant the snapshot\n%s", shape(past), shape(snapshot))
	}
	res, err := f.s.RestoreCourse(ctx, f.key, then, f.author)
	if err != nil {
		t.Fatal(err)
	}
	if now := f.tree(t); !reflect.DeepEqual(now, snapshot) {
		t.Errorf("after the restore\n%s\nwant the snapshot\n%s", shape(now), shape(snapshot))
	}
	op := f.lastOp(t)
	if op.ID != res.OpID || op.Source != SourceUndo || op.RevertsTo == nil || !op.RevertsTo.Equal(then) {
		t.Errorf("the restore's operation %+v", op)
	}
	// A restore is an operation like any other: undoing it gives back the
	// imported course, and the course at a later instant is there too.
	f.revert(t, res.OpID, false)
	if now := f.tree(t); reflect.DeepEqual(now, snapshot) || len(now.Children) != 1 || now.Children[0].DisplayName != "Imported week" {
		t.Errorf("after undoing the restore\n%s", shape(now))
	}
	midwayAt := f.ops(t, OperationFilter{Source: SourceImport})[0].At.Add(-time.Microsecond)
	if got, err := f.s.CourseTree(ctx, f.key, &midwayAt, f.author); err != nil || !reflect.DeepEqual(got, midway) {
		t.Errorf("the tree just before the import\n%s\nwant\n%s (%v)", shape(got), shape(midway), err)
	}
}

func TestRestoreCourse_BeforeTheCourseExistedIsRefused(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	created := f.ops(t, OperationFilter{Limit: 200})
	early := created[len(created)-1].At.Add(-time.Millisecond)
	n := f.counts(t)
	if _, err := f.s.RestoreCourse(ctx, f.key, early, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("restore to before the course: %v, want 422", err)
	}
	if _, err := f.s.CourseTree(ctx, f.key, &early, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("tree before the course: %v, want 422", err)
	}
	now := f.lastOp(t).At
	if _, err := f.s.RestoreCourse(ctx, f.key, now, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("restore to now: %v, want 422 nothing to undo", err)
	}
	if f.counts(t) != n {
		t.Error("a refused restore wrote something")
	}
}

func TestOperations_HugeOneListsTheFirstBlocksAndCountsAll(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	var leaves []string
	for i := range 150 {
		leaves = append(leaves, fmt.Sprintf(`{"type": "html", "display_name": "Leaf %d"}`, i))
	}
	tree := `{"type": "course", "children": [{"type": "chapter", "display_name": "C", "children": [{"type": "sequential", "display_name": "S",
		"children": [{"type": "vertical", "display_name": "V", "children": [` + strings.Join(leaves, ",") + `]}]}]}]}`
	job, err := f.s.ImportCourse(context.Background(), f.key, importTree(t, tree), f.author, time.Minute, noEnqueue)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := f.s.CourseImportOf(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	res := runImport(t, f, imp)
	op := f.lastOp(t)
	if op.ID != res.OpID || op.Blocks != 1+153+5 || op.Changes != op.Blocks || len(op.BlockIDs) != MaxOperationBlockIDs {
		t.Errorf("import operation: %d blocks, %d changes, %d ids listed", op.Blocks, op.Changes, len(op.BlockIDs))
	}
}

// A revert racing edits of the same block: the course lock puts them in
// one order, every one of them is logged, and each wrote back from the
// state the one before it left.
func TestRevertOperation_RacingEditsOfTheSameBlockEndInOneOrder(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	base := "Base"
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &base}, f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	target := f.lastOp(t)
	const editors, rounds = 6, 4
	for round := range rounds {
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, editors+1)
		wg.Go(func() {
			<-start
			_, err := f.s.RevertOperation(ctx, f.key, target.ID, true, f.author)
			if ErrorCode(err) == EInvalid { // an earlier round's revert left nothing to undo
				err = nil
			}
			errs <- err
		})
		for i := range editors {
			wg.Go(func() {
				<-start
				name := fmt.Sprintf("Round %d editor %d", round, i)
				_, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name}, f.author, SourceAPI)
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	vs := f.history(t, HistoryFilter{Block: f.html.ID, Limit: 200})
	if edits := len(f.ops(t, OperationFilter{Block: f.html.ID, Source: SourceAPI, Limit: 200})); edits != 1+editors*rounds {
		t.Errorf("%d API edits logged, want %d", edits, 1+editors*rounds)
	}
	if undos := len(f.ops(t, OperationFilter{Block: f.html.ID, Source: SourceUndo, Limit: 200})); undos < 1 {
		t.Error("no revert was logged")
	}
	// One order: each version starts from the state the previous one left,
	// and the block is in the state of the newest.
	for i := 0; i+1 < len(vs); i++ {
		if vs[i].Before == nil || vs[i+1].After == nil || vs[i].Before.DisplayName != vs[i+1].After.DisplayName {
			t.Fatalf("version %s (%s) does not start where %s left the block", vs[i].VersionID, vs[i].Summary, vs[i+1].VersionID)
		}
	}
	if got := f.block(t, f.html.ID).DisplayName; got != vs[0].After.DisplayName {
		t.Errorf("the block is %q, the newest version says %q", got, vs[0].After.DisplayName)
	}
}
