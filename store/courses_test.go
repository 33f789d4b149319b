package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// courseFixture is a course with one path down to two leaves:
// course → chapter → sequential → vertical → [html, video].
type courseFixture struct {
	s                                     *Store
	key                                   string
	author                                Actor
	root, chapter, seq, vertical, html, v Block
}

func newCourseFixture(t *testing.T) courseFixture {
	t.Helper()
	s := newTestStore(t)
	ctx := context.Background()
	author := createPerson(t, s, "writer@example.com", RoleAuthor).Actor()
	c, err := s.CreateCourse(ctx, "course-v1:Test+T1+2026", "Testing 101", author, SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	f := courseFixture{s: s, key: c.Key, author: author}
	f.root, err = s.Block(ctx, c.Key, c.RootBlockID, author)
	if err != nil {
		t.Fatal(err)
	}
	add := func(parent Block, typ BlockType, name string) Block {
		t.Helper()
		b, err := s.CreateBlock(ctx, c.Key, NewBlock{ParentID: parent.ID, Type: typ, DisplayName: name, Fields: json.RawMessage(`{"n": 1}`)}, author, SourceUI)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return b
	}
	f.chapter = add(f.root, BlockChapter, "Week 1")
	f.seq = add(f.chapter, BlockSequential, "Lesson 1")
	f.vertical = add(f.seq, BlockVertical, "Unit 1")
	f.html = add(f.vertical, BlockHTML, "Intro")
	f.v = add(f.vertical, BlockVideo, "Talk")
	return f
}

func (f courseFixture) block(t *testing.T, id string) Block {
	t.Helper()
	b, err := f.s.Block(context.Background(), f.key, id, f.author)
	if err != nil {
		t.Fatalf("read block %s: %v", id, err)
	}
	return b
}

func (f courseFixture) history(t *testing.T, hf HistoryFilter) []BlockVersion {
	t.Helper()
	page, err := f.s.CourseHistory(context.Background(), f.key, hf, f.author)
	if err != nil {
		t.Fatal(err)
	}
	return page.Versions
}

func TestCreateBlock_EnforcesTheHierarchy(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	for name, nb := range map[string]NewBlock{
		"leaf in chapter":     {ParentID: f.chapter.ID, Type: BlockHTML, DisplayName: "x"},
		"vertical in course":  {ParentID: f.root.ID, Type: BlockVertical, DisplayName: "x"},
		"child of a leaf":     {ParentID: f.html.ID, Type: BlockHTML, DisplayName: "x"},
		"second course block": {ParentID: f.root.ID, Type: BlockCourse, DisplayName: "x"},
		"unknown type":        {ParentID: f.vertical.ID, Type: "quiz", DisplayName: "x"},
		"fields not object":   {ParentID: f.vertical.ID, Type: BlockHTML, DisplayName: "x", Fields: json.RawMessage(`[1]`)},
		"blank name":          {ParentID: f.vertical.ID, Type: BlockHTML, DisplayName: "  "},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.s.CreateBlock(ctx, f.key, nb, f.author, SourceAPI); ErrorCode(err) != EInvalid {
				t.Errorf("got %v, want invalid", err)
			}
		})
	}
	_, err := f.s.CreateBlock(ctx, f.key, NewBlock{ParentID: f.chapter.ID, Type: BlockHTML, DisplayName: "x"}, f.author, SourceAPI)
	if e, _ := errors.AsType[*Error](err); e == nil || e.Reason != ReasonInvalidPlacement || !strings.Contains(e.Message, "chapter holds only sequential") {
		t.Errorf("the refusal does not name the rule: %v", err)
	}
	if got := f.block(t, f.chapter.ID).Children; !slices.Equal(got, []string{f.seq.ID}) {
		t.Errorf("a refused create changed the parent's children: %v", got)
	}
}

func TestCreateBlock_RecordsCreateAndTheParentsNewChildren(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	vs := f.history(t, HistoryFilter{Limit: 2})
	if vs[0].BlockID != f.v.ID || vs[0].Change != ChangeCreate || vs[0].Before != nil || vs[0].After.DisplayName != "Talk" {
		t.Errorf("newest entry %+v, want the video's create", vs[0])
	}
	if vs[1].BlockID != f.vertical.ID || vs[1].Change != ChangeMove || len(vs[1].Before.Children) != 1 || len(vs[1].After.Children) != 2 {
		t.Errorf("second entry %+v, want the vertical's new children", vs[1])
	}
	if vs[0].VersionID != f.v.VersionID || f.block(t, f.vertical.ID).VersionID != vs[1].VersionID {
		t.Error("a block's version_id is not its newest version")
	}
}

func TestUpdateThenRestore_BringsTheOldValuesBack(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	name := "Welcome <b>all</b>"
	updated, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name, Fields: json.RawMessage(`{"n": 2, "body": "hi"}`)}, f.author, SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	if updated.VersionID == f.html.VersionID || updated.DisplayName != name {
		t.Fatalf("update: %+v", updated)
	}
	upd := f.history(t, HistoryFilter{Block: f.html.ID, Limit: 1})[0]
	if upd.Change != ChangeUpdate || upd.Summary != `Changed html "Intro": display_name, fields.body, fields.n` {
		t.Errorf("update entry: %s %q", upd.Change, upd.Summary)
	}
	restored, err := f.s.RestoreVersion(ctx, f.key, f.html.ID, f.html.VersionID, f.author)
	if err != nil {
		t.Fatal(err)
	}
	if restored.DisplayName != "Intro" || string(restored.Fields) != `{"n": 1}` || restored.VersionID == updated.VersionID {
		t.Errorf("restored %+v", restored)
	}
	undo := f.history(t, HistoryFilter{Limit: 1})[0]
	if undo.Change != ChangeRestore || undo.Source != SourceUndo || undo.VersionID != restored.VersionID {
		t.Errorf("restore entry %+v", undo)
	}

	// The restore is itself a version: undoing it brings the update back.
	again, err := f.s.UndoVersion(ctx, f.key, undo.VersionID, f.author)
	if err != nil {
		t.Fatal(err)
	}
	if again.DisplayName != name || string(again.Fields) != string(updated.Fields) {
		t.Errorf("undoing the restore gave %+v", again)
	}
}

func TestDeleteThenRestore_BringsTheWholeSubtreeBackInPlace(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	second, err := f.s.CreateBlock(ctx, f.key, NewBlock{ParentID: f.root.ID, Type: BlockChapter, DisplayName: "Week 2"}, f.author, SourceUI)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteBlock(ctx, f.key, f.chapter.ID, "", f.author, SourceUI); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.root.ID).Children; !slices.Equal(got, []string{second.ID}) {
		t.Errorf("after delete the course holds %v", got)
	}
	if _, err := f.s.Block(ctx, f.key, f.html.ID, f.author); ErrorCode(err) != ENotFound {
		t.Errorf("a leaf of the deleted chapter reads as %v", err)
	}
	deletes := f.history(t, HistoryFilter{Limit: 10})
	var deleted []string
	for _, v := range deletes {
		if v.Change == ChangeDelete {
			deleted = append(deleted, v.BlockID)
			if v.After != nil || v.Before == nil {
				t.Errorf("delete entry of %s lacks its before state", v.BlockID)
			}
		}
	}
	if len(deleted) != 5 {
		t.Errorf("%d delete versions, want one per block of the subtree (5)", len(deleted))
	}
	if _, err := f.s.RestoreVersion(ctx, f.key, f.html.ID, f.html.VersionID, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("restoring a leaf of a deleted chapter: %v, want 422 (restore the chapter first)", err)
	}

	delVersion := f.history(t, HistoryFilter{Block: f.chapter.ID, Limit: 1})[0]
	if _, err := f.s.UndoVersion(ctx, f.key, delVersion.VersionID, f.author); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.root.ID).Children; !slices.Equal(got, []string{f.chapter.ID, second.ID}) {
		t.Errorf("the chapter came back at %v, want first again", got)
	}
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID, f.v.ID}) {
		t.Errorf("the vertical came back with %v", got)
	}
	if b := f.block(t, f.html.ID); b.DisplayName != "Intro" {
		t.Errorf("leaf after restore: %+v", b)
	}
}

func TestReorderThenRestoreParentVersion_ReversesTheReorder(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	before := f.block(t, f.vertical.ID)
	if _, err := f.s.ReorderChildren(ctx, f.key, f.vertical.ID, []string{f.v.ID, f.html.ID}, before.VersionID, f.author, SourceAPI); err != nil {
		t.Fatal(err)
	}
	for name, children := range map[string][]string{
		"missing":   {f.v.ID},
		"duplicate": {f.v.ID, f.v.ID},
		"foreign":   {f.v.ID, f.chapter.ID},
		"extra":     {f.v.ID, f.html.ID, f.seq.ID},
	} {
		if _, err := f.s.ReorderChildren(ctx, f.key, f.vertical.ID, children, "", f.author, SourceAPI); ErrorCode(err) != EInvalid {
			t.Errorf("%s: %v, want 422", name, err)
		}
	}
	if _, err := f.s.RestoreVersion(ctx, f.key, f.vertical.ID, before.VersionID, f.author); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID, f.v.ID}) {
		t.Errorf("children after restore %v", got)
	}
	if got := f.block(t, f.html.ID); got.Deleted {
		t.Error("restoring the order deleted a child")
	}
}

func TestUndoCreate_DeletesTheBlockAndUndoingThatBringsItBack(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	create := f.history(t, HistoryFilter{Block: f.v.ID})[0]
	if _, err := f.s.UndoVersion(ctx, f.key, create.VersionID, f.author); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID}) {
		t.Errorf("after undoing the create: %v", got)
	}
	undo := f.history(t, HistoryFilter{Block: f.v.ID, Limit: 1})[0]
	if undo.Source != SourceUndo || undo.Change != ChangeDelete {
		t.Errorf("undo entry %+v", undo)
	}
	if _, err := f.s.UndoVersion(ctx, f.key, undo.VersionID, f.author); err != nil {
		t.Fatal(err)
	}
	if got := f.block(t, f.vertical.ID).Children; !slices.Equal(got, []string{f.html.ID, f.v.ID}) {
		t.Errorf("after undoing the undo: %v", got)
	}
}

func TestRestore_RefusesVersionsOfOtherBlocksAndCourses(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	if _, err := f.s.RestoreVersion(ctx, f.key, f.html.ID, f.v.VersionID, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("another block's version: %v, want 422", err)
	}
	other, err := f.s.CreateCourse(ctx, "other", "Other", f.author, SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RestoreVersion(ctx, other.Key, other.RootBlockID, f.root.VersionID, f.author); ErrorCode(err) != EInvalid {
		t.Errorf("another course's version: %v, want 422", err)
	}
	if _, err := f.s.RestoreVersion(ctx, f.key, f.html.ID, "01NOSUCHVERSION", f.author); ErrorCode(err) != ENotFound {
		t.Errorf("unknown version: %v, want 404", err)
	}
}

func TestVersions_AreImmutable(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE block_versions SET summary = 'rewritten'`,
		`DELETE FROM block_versions`,
		`TRUNCATE block_versions CASCADE`,
	} {
		if _, err := f.s.pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}
}

func TestUpdateBlock_ConcurrentSaveOnOneVersionHasExactlyOneWinner(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	const writers = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, stale := 0, 0
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			name := "Writer " + string(rune('A'+i))
			_, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name, IfMatch: f.html.VersionID}, f.author, SourceAPI)
			mu.Lock()
			defer mu.Unlock()
			switch ErrorCode(err) {
			case "":
				won++
			case EPrecondition:
				stale++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if won != 1 || stale != writers-1 {
		t.Errorf("%d won and %d were refused as stale; want 1 and %d", won, stale, writers-1)
	}
	if n := len(f.history(t, HistoryFilter{Block: f.html.ID, Source: SourceAPI})); n != 1 {
		t.Errorf("%d API versions of the block, want exactly the winner's", n)
	}
}

func TestUpdateBlock_WithoutIfMatchLastWriteWinsAndIsLogged(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	for _, n := range []string{"First", "Second"} {
		if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &n}, f.author, SourceAPI); err != nil {
			t.Fatal(err)
		}
	}
	vs := f.history(t, HistoryFilter{Block: f.html.ID, Limit: 2})
	if f.block(t, f.html.ID).DisplayName != "Second" || vs[0].Before.DisplayName != "First" || vs[1].Before.DisplayName != "Intro" {
		t.Errorf("history %+v", vs)
	}
}

func TestCourseAuthz_AuthorsEditOnlyTheirCourses(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	stranger := createPerson(t, f.s, "stranger@example.com", RoleAuthor).Actor()
	support := createPerson(t, f.s, "help@example.com", RoleSupport).Actor()
	name := "hijacked"
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name}, stranger, SourceUI); ErrorCode(err) != EForbidden {
		t.Errorf("non-staff author edit: %v, want 403", err)
	}
	if _, err := f.s.CourseHistory(ctx, f.key, HistoryFilter{}, stranger); ErrorCode(err) != EForbidden {
		t.Errorf("non-staff author history: %v, want 403", err)
	}
	if cs, _ := f.s.ListCourses(ctx, stranger); len(cs) != 0 {
		t.Errorf("a non-staff author sees %v", cs)
	}
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name}, support, SourceUI); ErrorCode(err) != EForbidden {
		t.Errorf("support edit: %v, want 403", err)
	}
	if _, err := f.s.RestoreVersion(ctx, f.key, f.html.ID, f.html.VersionID, support); err != nil {
		t.Errorf("support undo: %v", err)
	}
	if cs, _ := f.s.ListCourses(ctx, support); len(cs) != 1 {
		t.Errorf("support sees %d courses", len(cs))
	}
	if err := f.s.AddCourseStaff(ctx, f.key, stranger, f.author); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name}, stranger, SourceUI); err != nil {
		t.Errorf("after joining the staff: %v", err)
	}
}

func TestEdits_AreRefusedWhileTheCourseLockIsHeld(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	if _, err := f.s.AcquireLock(ctx, CourseLockName(f.key), testActor("importer"), "import", time.Minute); err != nil {
		t.Fatal(err)
	}
	name := "late"
	_, err := f.s.UpdateBlock(ctx, f.key, f.html.ID, BlockUpdate{DisplayName: &name}, f.author, SourceUI)
	if _, ok := errors.AsType[*ErrLocked](err); !ok {
		t.Errorf("edit under a held course lock: %v, want ErrLocked", err)
	}
}

func TestCourseHistory_PagesAndFilters(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	other := createPerson(t, f.s, "other@example.com", RoleAdmin).Actor()
	for i := range 7 {
		n := string(rune('a' + i))
		if _, err := f.s.UpdateBlock(ctx, f.key, f.v.ID, BlockUpdate{DisplayName: &n}, other, SourceAPI); err != nil {
			t.Fatal(err)
		}
	}
	all := f.history(t, HistoryFilter{Limit: 200})
	var seen []string
	cursor := ""
	for {
		page, err := f.s.CourseHistory(ctx, f.key, HistoryFilter{Limit: 4, Before: cursor}, f.author)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			seen = append(seen, v.VersionID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	want := make([]string, len(all))
	for i, v := range all {
		want[i] = v.VersionID
	}
	if !slices.Equal(seen, want) || !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("paging gave %d entries, want the %d newest first", len(seen), len(want))
	}
	if got := f.history(t, HistoryFilter{Actor: "other@example.com", Limit: 200}); len(got) != 7 {
		t.Errorf("actor filter: %d entries, want 7", len(got))
	}
	if got := f.history(t, HistoryFilter{Source: SourceUI, Limit: 200}); len(got) != 10 {
		t.Errorf("source filter: %d entries, want the 10 ui entries of the fixture", len(got))
	}
	actors, err := f.s.CourseActors(ctx, f.key, f.author)
	if err != nil || !slices.Equal(actors, []string{"other@example.com", "writer@example.com"}) {
		t.Errorf("actors %v %v", actors, err)
	}
}

func TestDiffStates_ComparesEachFieldAndChildOrder(t *testing.T) {
	t.Parallel()
	before := &BlockState{DisplayName: "A", Fields: map[string]json.RawMessage{"body": json.RawMessage(`"x"`), "n": json.RawMessage(`1`)}, Children: []string{"1", "2"}}
	after := &BlockState{DisplayName: "A", Fields: map[string]json.RawMessage{"body": json.RawMessage(`"y"`), "n": json.RawMessage(` 1 `), "new": json.RawMessage(`{"a": [1]}`)}, Children: []string{"2", "1"}}
	var got []string
	for _, d := range DiffStates(before, after) {
		got = append(got, fmt.Sprintf("%s %t %s>%s", d.Field, d.Changed, d.Before, d.After))
	}
	want := []string{
		`display_name false "A">"A"`,
		`fields.body true "x">"y"`,
		`fields.n false 1> 1 `,
		`fields.new true >{"a": [1]}`,
		`children true ["1","2"]>["2","1"]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("diff\n got %q\nwant %q", got, want)
	}
}
