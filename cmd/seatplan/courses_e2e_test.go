package main

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestCoursesAPI_BlocksVersionsAndRestore(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv, "-demo=false")
	api := newAPIClient(t, s, "Studio sync", "author")

	status, _, course := api.call("POST", "/api/v1/courses", map[string]string{"key": "course-v1:API+T1", "title": "API course"})
	if status != http.StatusCreated || course["root_block_id"] == "" {
		t.Fatalf("create course: %d %v", status, course)
	}
	root := course["root_block_id"].(string)
	base := "/api/v1/courses/course-v1:API+T1"

	status, hdr, chapter := api.call("POST", base+"/blocks", map[string]any{"parent_id": root, "type": "chapter", "display_name": "Week 1"})
	if status != http.StatusCreated || hdr.Get("ETag") != `"`+chapter["version_id"].(string)+`"` {
		t.Fatalf("create chapter: %d %v ETag %s", status, chapter, hdr.Get("ETag"))
	}
	chapterID := chapter["id"].(string)
	block := base + "/blocks/" + chapterID

	for name, tc := range map[string]struct {
		method, path string
		body         any
		want         int
	}{
		"leaf in a chapter":    {"POST", base + "/blocks", map[string]any{"parent_id": chapterID, "type": "html", "display_name": "x"}, 422},
		"fields not an object": {"PATCH", block, map[string]any{"fields": []int{1}}, 422},
		"unknown block":        {"GET", base + "/blocks/nope", nil, 404},
		"unknown course":       {"GET", "/api/v1/courses/nope/blocks/" + chapterID, nil, 404},
		"not a permutation":    {"PUT", base + "/blocks/" + root + "/children", map[string]any{"children": []string{}}, 422},
	} {
		if status, _, body := api.call(tc.method, tc.path, tc.body); status != tc.want {
			t.Errorf("%s: %d %v, want %d", name, status, body, tc.want)
		}
	}
	_, _, refusal := api.call("POST", base+"/blocks", map[string]any{"parent_id": chapterID, "type": "html", "display_name": "x"})
	if msg, _ := refusal["message"].(string); !strings.Contains(msg, "chapter holds only sequential") {
		t.Errorf("the 422 does not name the rule: %v", refusal)
	}

	// Optimistic concurrency: many PATCHes against one version, one wins.
	etag := `"` + chapter["version_id"].(string) + `"`
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 8 {
		wg.Go(func() {
			status, _, _ := api.call("PATCH", block, map[string]any{"display_name": "Week " + string(rune('A'+i))}, "If-Match", etag)
			mu.Lock()
			codes[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[200] != 1 || codes[412] != 7 {
		t.Errorf("concurrent PATCHes with one If-Match: %v, want one 200 and seven 412", codes)
	}
	status, hdr, current := api.call("PATCH", block, map[string]any{"fields": map[string]any{"intro": "<b>hi</b>"}})
	if status != 200 || hdr.Get("ETag") == etag {
		t.Errorf("PATCH without If-Match: %d %v", status, current)
	}

	if status, _, _ := api.call("DELETE", block, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if status, _, _ := api.call("GET", block, nil); status != 404 {
		t.Errorf("GET after delete: %d", status)
	}
	status, _, hist := api.call("GET", base+"/history?block="+chapterID+"&limit=2", nil)
	items, _ := hist["items"].([]any)
	if status != 200 || len(items) != 2 || hist["next_cursor"] == nil {
		t.Fatalf("history: %d %v", status, hist)
	}
	newest := items[0].(map[string]any)
	if newest["change"] != "delete" || newest["actor"] != "Studio sync" || newest["source"] != "api" {
		t.Errorf("newest entry %v", newest)
	}
	prev := items[1].(map[string]any)["version_id"].(string)
	// prev is the state after the fields PATCH: current's name and intro.
	wantName, _ := current["display_name"].(string)
	status, _, restored := api.call("POST", block+"/restore", map[string]string{"version_id": prev})
	restoredVersion, _ := restored["version_id"].(string)
	if name, _ := restored["display_name"].(string); status != 200 || restoredVersion == "" || restoredVersion == prev || wantName == "" || name != wantName {
		t.Errorf("restore: %d %v, want a new version named %q", status, restored, wantName)
	}
	// The restore is real only if a fresh read sees it.
	status, hdr, reread := api.call("GET", block, nil)
	name, _ := reread["display_name"].(string)
	fields, _ := reread["fields"].(map[string]any)
	if intro, _ := fields["intro"].(string); status != 200 || name != wantName || intro != "<b>hi</b>" ||
		reread["version_id"] != restoredVersion || hdr.Get("ETag") != `"`+restoredVersion+`"` {
		t.Errorf("GET after restore: %d %v ETag %s, want %q with its intro at version %s", status, reread, hdr.Get("ETag"), wantName, restoredVersion)
	}
	if status, _, _ := api.call("POST", base+"/blocks/"+root+"/restore", map[string]string{"version_id": prev}); status != 422 {
		t.Errorf("restoring another block's version: %d, want 422", status)
	}

	stranger := newAPIClient(t, s, "Other tool", "author")
	if status, _, _ := stranger.call("PATCH", block, map[string]any{"display_name": "mine"}); status != 403 {
		t.Errorf("an author client that is not staff: %d, want 403", status)
	}
}

func TestBrowser_EditShowsInChangeLogAndUndoBringsTheOldValueBack(t *testing.T) {
	t.Parallel()
	s := startServer(t, testEnv(t))
	ctx := newBrowser(t)
	if err := signInInBrowser(ctx, s.URL, "author@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	const newName = "Reading <em>revised</em>"
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/courses"),
		chromedp.Click(testid("course-link")),
		chromedp.WaitVisible(testid("course-tree")),
		chromedp.Click(chromedp.CSS(".tree li:not(:has(ul)) > .tree-row a")),
		chromedp.WaitVisible(testid("block-form")),
	); err != nil {
		t.Fatal(err)
	}
	blockURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	oldName, err := chromedp.Run(ctx, chromedp.Value(testid("display-name")))
	if err != nil || oldName != "Reading" {
		t.Fatalf("the first leaf is %q (%v), want the demo's Reading", oldName, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(testid("display-name"), newName),
		chromedp.Click(testid("save-block")),
		chromedp.WaitVisible(testid("flash")),
	); err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#block-editor h2")))
	if err != nil || !strings.Contains(heading, newName) {
		t.Errorf("the saved name shows as %q (%v): HTML in names must show as text", heading, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "course-editor.png", png)

	// The newest action is the rename: one row, unfolding into the block's change.
	if err := chromedp.Do(ctx,
		chromedp.Click(testid("history-link")),
		chromedp.WaitVisible(testid("operation")),
		chromedp.Click(chromedp.CSS(`[data-testid="operation"] > details > summary`)),
		chromedp.WaitVisible(testid("history-entry")),
		chromedp.Click(chromedp.CSS(`[data-testid="history-entry"] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="history-entry"] [data-field="display_name"] ins`)),
	); err != nil {
		t.Fatal(err)
	}
	before, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="history-entry"] [data-field="display_name"] del`)))
	after, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="history-entry"] [data-field="display_name"] ins`)))
	if before != "Reading" || after != newName {
		t.Errorf("the entry's diff shows %q → %q", before, after)
	}
	png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "history-undo.png", png)

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="history-entry"] [data-testid="undo"]`)),
		chromedp.WaitVisible(testid("flash")),
	); err != nil {
		t.Fatal(err)
	}
	top, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="operation"] [data-testid="op-source"]`)))
	if err != nil || top != "undo" {
		t.Errorf("the newest action after undo comes from %q (%v), want undo", top, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(blockURL), chromedp.WaitVisible(testid("block-form"))); err != nil {
		t.Fatal(err)
	}
	if name, err := chromedp.Run(ctx, chromedp.Value(testid("display-name"))); err != nil || name != "Reading" {
		t.Errorf("after undo the block is named %q (%v), want Reading again", name, err)
	}
}

func TestCoursesAPI_ImportRunsAsAJobAndAHeldCourseRefusesEdits(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv, "-demo=false")
	api := newAPIClient(t, s, "Importer", "author")
	status, _, course := api.call("POST", "/api/v1/courses", map[string]string{"key": "imp", "title": "Import target"})
	if status != http.StatusCreated {
		t.Fatalf("create course: %d %v", status, course)
	}
	root := course["root_block_id"].(string)
	tree := map[string]any{"type": "course", "children": []any{
		map[string]any{"type": "chapter", "display_name": "Imported", "children": []any{
			map[string]any{"type": "sequential", "display_name": "S", "children": []any{
				map[string]any{"type": "vertical", "display_name": "V", "children": []any{
					map[string]any{"type": "video", "display_name": "Clip", "fields": map[string]any{"url": "https://example.com/v.mp4"}}}}}}}}}}
	importCourse(t, api, "imp", tree)
	_, _, rootBlock := api.call("GET", "/api/v1/courses/imp/blocks/"+root, nil)
	if children, _ := rootBlock["children"].([]any); len(children) != 1 {
		t.Errorf("course children after import: %v", rootBlock["children"])
	}
	_, _, hist := api.call("GET", "/api/v1/courses/imp/history?source=import", nil)
	if items, _ := hist["items"].([]any); len(items) != 5 {
		t.Errorf("%d import entries, want 5", len(items))
	}

	// Another process holds the course: edits and imports are refused at once.
	pool, err := pgxpool.New(context.Background(), getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	holder := store.Actor{Kind: store.ActorSystem, ID: "other", Name: "other process"}
	if _, err := store.New(pool).AcquireLock(context.Background(), store.CourseLockName("imp"), holder, "import", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", "/api/v1/courses/imp/blocks/" + root, map[string]any{"display_name": "x"}},
		{"POST", "/api/v1/courses/imp/import", tree},
	} {
		status, _, body := api.call(tc.method, tc.path, tc.body)
		if status != http.StatusConflict || body["error"] != "blocked_by_another_process" {
			t.Errorf("%s %s under a held lock: %d %v", tc.method, tc.path, status, body)
		}
	}
}

// importCourse posts a course import and waits for its job to succeed,
// returning the job's result.
func importCourse(t *testing.T, api *apiClient, course string, tree any) map[string]any {
	t.Helper()
	status, _, accepted := api.call("POST", "/api/v1/courses/"+course+"/import", tree)
	statusURL, _ := accepted["status_url"].(string)
	if status != http.StatusAccepted || statusURL == "" {
		t.Fatalf("import: %d %v", status, accepted)
	}
	var job map[string]any
	storetest.WaitFor(t, "the import job succeeds", func() bool {
		_, _, job = api.call("GET", statusURL, nil)
		if job["status"] == "failed" {
			t.Fatalf("import job failed: %v", job)
		}
		return job["status"] == "succeeded"
	})
	result, _ := job["result"].(map[string]any)
	return result
}

// leafTree is an import holding one chapter down to one html leaf.
func leafTree(chapter, leaf string) map[string]any {
	return map[string]any{"type": "course", "children": []any{
		map[string]any{"type": "chapter", "display_name": chapter, "children": []any{
			map[string]any{"type": "sequential", "display_name": "S", "children": []any{
				map[string]any{"type": "vertical", "display_name": "V", "children": []any{
					map[string]any{"type": "html", "display_name": leaf, "fields": map[string]any{"body": "<p>" + leaf + "</p>"}}}}}}}}}}
}

func TestOperationsAPI_ListRevertTreeAndRestore(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv, "-demo=false")
	api := newAPIClient(t, s, "Sync script", "author")
	other := newAPIClient(t, s, "Second tool", "admin")
	base := "/api/v1/courses/ops"
	if status, _, body := api.call("POST", "/api/v1/courses", map[string]string{"key": "ops", "title": "Operations"}); status != http.StatusCreated {
		t.Fatalf("create course: %d %v", status, body)
	}
	_, _, original := api.call("GET", base+"/tree", nil)
	if original["type"] != "course" || original["display_name"] != "Operations" {
		t.Fatalf("tree of the new course: %v", original)
	}
	importCourse(t, api, "ops", leafTree("Week 1", "Welcome"))
	_, _, week1 := api.call("GET", base+"/tree", nil)
	result := importCourse(t, api, "ops", leafTree("Replaced", "Imported page"))
	importOp, _ := result["op_id"].(string)
	if importOp == "" {
		t.Fatalf("the import's result names no operation: %v", result)
	}

	// The list: newest first, one row per action, filters and a keyset cursor.
	status, _, list := api.call("GET", base+"/operations?limit=2", nil)
	items, _ := list["items"].([]any)
	if status != 200 || len(items) != 2 || list["next_cursor"] == nil {
		t.Fatalf("operations: %d %v", status, list)
	}
	newest := items[0].(map[string]any)
	if newest["op_id"] != importOp || newest["source"] != "import" || newest["actor"] != "Sync script" ||
		newest["changes"] != float64(9) || newest["blocks"] != float64(9) || len(newest["block_ids"].([]any)) != 9 || newest["at"] == nil || newest["summary"] == "" {
		t.Errorf("newest operation %v, want the second import: 4 new blocks, 4 replaced and the course block", newest)
	}
	_, _, rest := api.call("GET", base+"/operations?cursor="+list["next_cursor"].(string), nil)
	if older, _ := rest["items"].([]any); len(older) != 1 || rest["next_cursor"] != nil {
		t.Errorf("the next page: %v, want the course's creation and no more", rest)
	}
	if _, _, bySource := api.call("GET", base+"/operations?source=import", nil); len(bySource["items"].([]any)) != 2 {
		t.Errorf("source filter: %v", bySource)
	}
	if _, _, byActor := api.call("GET", base+"/operations?actor=nobody", nil); len(byActor["items"].([]any)) != 0 {
		t.Errorf("actor filter: %v", byActor)
	}
	if _, _, one := api.call("GET", base+"/operations/"+importOp, nil); one["op_id"] != importOp {
		t.Errorf("one operation: %v", one)
	}
	_, _, hist := api.call("GET", base+"/history?limit=1", nil)
	if item := hist["items"].([]any)[0].(map[string]any); item["op_id"] != importOp {
		t.Errorf("a history item names operation %v, want %s", item["op_id"], importOp)
	}

	// The course at an instant: just before the second import it was Week 1.
	importAt, _ := time.Parse(time.RFC3339Nano, newest["at"].(string))
	then := importAt.Add(-time.Microsecond).Format(time.RFC3339Nano)
	status, _, past := api.call("GET", base+"/tree?at="+url.QueryEscape(then), nil)
	if status != 200 || !reflect.DeepEqual(past, week1) {
		t.Errorf("tree just before the second import: %d %v, want %v", status, past, week1)
	}

	// Refusals write nothing.
	_, _, all := api.call("GET", base+"/operations?limit=200", nil)
	count := len(all["items"].([]any))
	if status, _, _ := api.call("POST", "/api/v1/courses", map[string]string{"key": "hidden-course", "title": "Hidden"}); status != http.StatusCreated {
		t.Fatal(status)
	}
	_, _, hidden := api.call("GET", "/api/v1/courses/hidden-course/operations", nil)
	hiddenOp := hidden["items"].([]any)[0].(map[string]any)["op_id"].(string)
	for name, tc := range map[string]struct {
		method, path string
		body         any
		want         int
		code         string
	}{
		"unknown operation":     {"POST", base + "/operations/01NOSUCHOPERATION/revert", nil, 404, "not_found"},
		"other course's op":     {"POST", base + "/operations/" + hiddenOp + "/revert", map[string]any{"force": true}, 404, "not_found"},
		"unknown op read":       {"GET", base + "/operations/01NOSUCHOPERATION", nil, 404, "not_found"},
		"bad force":             {"POST", base + "/operations/" + importOp + "/revert", map[string]any{"force": "yes"}, 400, "bad_request"},
		"unparsable at":         {"GET", base + "/tree?at=last+tuesday", nil, 400, "bad_request"},
		"empty at":              {"GET", base + "/tree?at=", nil, 400, "bad_request"},
		"before the course":     {"GET", base + "/tree?at=2001-01-01T00:00:00Z", nil, 422, "before_course_existed"},
		"restore unparsable at": {"POST", base + "/revert", map[string]any{"at": "2026-13-45"}, 400, "bad_request"},
		"restore without at":    {"POST", base + "/revert", map[string]any{}, 400, "bad_request"},
		"restore before":        {"POST", base + "/revert", map[string]any{"at": "2001-01-01T00:00:00Z"}, 422, "before_course_existed"},
		"bad cursor":            {"GET", base + "/operations?cursor=abc", nil, 400, "bad_request"},
		"bad limit":             {"GET", base + "/operations?limit=0", nil, 400, "bad_request"},
		"unknown course":        {"GET", "/api/v1/courses/nope/operations", nil, 404, "not_found"},
	} {
		status, _, body := api.call(tc.method, tc.path, tc.body)
		if status != tc.want || body["error"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", name, status, body, tc.want, tc.code)
		}
		if msg, _ := body["message"].(string); strings.Contains(msg, "hidden-course") || strings.Contains(msg, "Hidden") {
			t.Errorf("%s: the answer names another course: %q", name, msg)
		}
	}
	stranger := newAPIClient(t, s, "Stranger", "author")
	if status, _, _ := stranger.call("POST", base+"/operations/"+importOp+"/revert", nil); status != http.StatusForbidden {
		t.Errorf("a client not on the course's staff reverts: %d, want 403", status)
	}

	// A later change to the same blocks: 409 listing it, unless forced.
	_, _, now := api.call("GET", base+"/tree", nil)
	replaced := now["children"].([]any)[0].(map[string]any)
	if status, _, body := other.call("PATCH", base+"/blocks/"+replaced["id"].(string), map[string]any{"display_name": "Touched later"}); status != 200 {
		t.Fatalf("later edit: %d %v", status, body)
	}
	_, _, latest := api.call("GET", base+"/operations?limit=1", nil)
	laterOp := latest["items"].([]any)[0].(map[string]any)
	count++
	status, _, conflict := api.call("POST", base+"/operations/"+importOp+"/revert", map[string]any{})
	cs, _ := conflict["conflicts"].([]any)
	if status != http.StatusConflict || conflict["error"] != "conflict" || conflict["message"] == "" || len(cs) != 1 {
		t.Fatalf("revert over a later change: %d %v", status, conflict)
	}
	if c := cs[0].(map[string]any); c["block_id"] != replaced["id"] || c["op_id"] != laterOp["op_id"] || c["actor"] != "Second tool" || c["at"] != laterOp["at"] {
		t.Errorf("conflict %v, want the second tool's edit %v", c, laterOp)
	}

	// Another process holds the course: reverts get the lock's answer.
	pool, err := pgxpool.New(context.Background(), getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	holder := store.Actor{Kind: store.ActorSystem, ID: "other", Name: "other process"}
	lockStore := store.New(pool)
	lock, err := lockStore.AcquireLock(context.Background(), store.CourseLockName("ops"), holder, "import", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for path, body := range map[string]any{base + "/operations/" + importOp + "/revert": map[string]any{"force": true}, base + "/revert": map[string]any{"at": then}} {
		if status, _, got := api.call("POST", path, body); status != http.StatusConflict || got["error"] != "blocked_by_another_process" {
			t.Errorf("POST %s under a held lock: %d %v", path, status, got)
		}
	}
	if _, _, after := api.call("GET", base+"/operations?limit=200", nil); len(after["items"].([]any)) != count {
		t.Errorf("refusals wrote operations: %d, want %d", len(after["items"].([]any)), count)
	}
	if err := lockStore.ReleaseLock(context.Background(), lock); err != nil {
		t.Fatal(err)
	}

	// Forced, the import comes off: Week 1 is back, the later edit is gone.
	status, _, reverted := api.call("POST", base+"/operations/"+importOp+"/revert", map[string]any{"force": true})
	if status != 200 || reverted["op_id"] == nil || reverted["reverted"] != float64(9) {
		t.Fatalf("forced revert: %d %v", status, reverted)
	}
	if _, _, tree := api.call("GET", base+"/tree", nil); !reflect.DeepEqual(tree, week1) {
		t.Errorf("after undoing the import: %v, want %v", tree, week1)
	}
	_, _, undo := api.call("GET", base+"/operations/"+reverted["op_id"].(string), nil)
	if undo["source"] != "undo" || undo["reverts_op"] != importOp {
		t.Errorf("the revert's operation %v", undo)
	}
	// A revert is itself an operation that can be reverted.
	if status, _, again := api.call("POST", base+"/operations/"+reverted["op_id"].(string)+"/revert", nil); status != 200 {
		t.Fatalf("reverting the revert: %d %v", status, again)
	}
	if _, _, tree := api.call("GET", base+"/tree", nil); tree["children"].([]any)[0].(map[string]any)["display_name"] != "Touched later" {
		t.Errorf("after reverting the revert: %v", tree)
	}

	// The whole course back to its first moment: empty again.
	created := original
	_, _, first := api.call("GET", base+"/operations?source=api&limit=200", nil)
	firstItems := first["items"].([]any)
	createdAt := firstItems[len(firstItems)-1].(map[string]any)["at"].(string)
	status, _, restored := api.call("POST", base+"/revert", map[string]any{"at": createdAt})
	if status != 200 || restored["op_id"] == nil || restored["reverted"] == float64(0) {
		t.Fatalf("restore: %d %v", status, restored)
	}
	if _, _, tree := api.call("GET", base+"/tree", nil); !reflect.DeepEqual(tree, created) {
		t.Errorf("after restoring to the creation: %v, want %v", tree, created)
	}
	_, _, restoreOp := api.call("GET", base+"/operations/"+restored["op_id"].(string), nil)
	if restoreOp["source"] != "undo" || restoreOp["reverts_to"] == nil {
		t.Errorf("the restore's operation %v", restoreOp)
	}
}
