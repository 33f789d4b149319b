package main

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// An external tool's import replaces the demo course; support opens the
// change log, undoes the import as one action and sees the course as it was.
func TestBrowser_UndoAnImportFromTheChangeLogBringsTheCourseBack(t *testing.T) {
	t.Parallel()
	s := startServer(t, testEnv(t))
	api := newAPIClient(t, s, "Sync script", "admin")
	const course = "course-v1:Demo+CS101+2026"
	treePath := "/api/v1/courses/" + course + "/tree"
	status, _, original := api.call("GET", treePath, nil)
	if status != http.StatusOK || len(original["children"].([]any)) != 2 {
		t.Fatalf("the demo course: %d %v", status, original)
	}
	result := importCourse(t, api, course, leafTree("Imported by mistake", "Wrong page"))
	importOp, _ := result["op_id"].(string)
	if _, _, now := api.call("GET", treePath, nil); reflect.DeepEqual(now, original) {
		t.Fatal("the import changed nothing")
	}

	ctx := newBrowser(t)
	if err := signInInBrowser(ctx, s.URL, "support@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	row := `[data-testid="operation"][data-op-id="` + importOp + `"]`
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/courses/"+url.PathEscape(course)+"/history"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` > details > summary`)),
		chromedp.WaitVisible(chromedp.CSS(row+` [data-testid="undo-operation"]`)),
	); err != nil {
		t.Fatal(err)
	}
	source, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+` [data-testid="op-source"]`)))
	if err != nil || source != "import" {
		t.Errorf("the import's row says %q (%v)", source, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+` [data-testid="undo-operation"]`)),
		chromedp.WaitVisible(testid("undo-operation-preview")),
	); err != nil {
		t.Fatal(err)
	}
	counts, err := chromedp.Run(ctx, chromedp.Text(testid("undo-counts")))
	if err != nil || !strings.Contains(counts, "4 are deleted") {
		t.Errorf("the preview says %q (%v), want the 4 imported blocks deleted", counts, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "undo-operation.png", png)
	if err := chromedp.Do(ctx, chromedp.Click(testid("confirm-undo-operation"))); err != nil {
		t.Fatal(err)
	}
	// The click starts a navigation; read the change log once it has loaded,
	// not the page the click left.
	var flash, top string
	storetest.WaitWithin(t, 15*time.Second, "the change log shows the undo", func() bool {
		flash, _ = chromedp.Run(ctx, chromedp.Text(testid("flash"), chromedp.AtLeast(0)))
		top, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="operation"] [data-testid="op-source"]`), chromedp.AtLeast(0)))
		return strings.Contains(flash, "Undid") && top == "undo"
	})

	if _, _, now := api.call("GET", treePath, nil); !reflect.DeepEqual(now, original) {
		t.Errorf("after the undo the course is\n%v\nwant\n%v", now, original)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/courses/"+url.PathEscape(course)),
		chromedp.WaitVisible(testid("course-tree")),
	); err != nil {
		t.Fatal(err)
	}
	names, err := chromedp.Run(ctx, chromedp.Text(testid("course-tree")))
	if err != nil || !strings.Contains(names, "Week 1: Getting started") || strings.Contains(names, "Imported by mistake") {
		t.Errorf("the course page shows %q (%v), want the demo chapters back", names, err)
	}
}
