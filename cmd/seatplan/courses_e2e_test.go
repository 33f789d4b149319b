package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store"
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

	if err := chromedp.Do(ctx,
		chromedp.Click(testid("history-link")),
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
	top, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="history-entry"] [data-testid="entry-source"]`)))
	if err != nil || top != "undo" {
		t.Errorf("the newest entry after undo comes from %q (%v), want undo", top, err)
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
	status, _, accepted := api.call("POST", "/api/v1/courses/imp/import", tree)
	if status != http.StatusAccepted || accepted["status_url"] == nil {
		t.Fatalf("import: %d %v", status, accepted)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, job := api.call("GET", accepted["status_url"].(string), nil)
		if job["status"] == "succeeded" {
			break
		}
		if job["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("import job: %v", job)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
