package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestBrowser_AuthorEditsLeafBlocksWithTypedInputs(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	ctx := context.Background()
	const course = "course-v1:Demo+CS101+2026"
	outline, err := st.CourseOutline(ctx, course, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	var html, problem string
	for id, b := range outline.Blocks {
		switch {
		case b.Type == store.BlockHTML && html == "":
			html = id
		case b.Type == store.BlockProblem && problem == "":
			problem = id
		}
	}
	fields := func(id string) map[string]any {
		o, err := st.CourseOutline(ctx, course, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(o.Blocks[id].Fields, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	blockPage := s.URL + "/courses/" + url.PathEscape(course) + "?block="

	b := newBrowser(t)
	if err := signInInBrowser(b, s.URL, "author@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	// The body has its own box and a live preview; the JSON is the advanced view.
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("user-menu")), chromedp.Navigate(blockPage+html),
		chromedp.WaitVisible(testid("field-body"))); err != nil {
		t.Fatal(err)
	}
	if evalBool(b, `document.querySelector('[data-testid="fields"]').checkVisibility()`) {
		t.Error("the raw JSON shows before the author opens the advanced view")
	}
	if _, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="field-body"]').value = ""`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.SendKeys(testid("field-body"), "<p>Read <em>chapter 2</em>.</p>")); err != nil {
		t.Fatal(err)
	}
	storetest.WaitWithin(t, 10*time.Second, "the preview shows the body", func() bool {
		return strings.Contains(evalString(b, `document.querySelector('[data-testid="html-preview"]').srcdoc`), "<em>chapter 2</em>")
	})
	if err := chromedp.Do(b, chromedp.Click(testid("save-block")), chromedp.WaitVisible(testid("flash"))); err != nil {
		t.Fatal(err)
	}
	if got := fields(html)["body"]; got != "<p>Read <em>chapter 2</em>.</p>" {
		t.Errorf("saved body = %v", got)
	}

	// A problem's weight and attempts are numbers; a word is refused at its
	// field, what was typed stays, and nothing is saved.
	before := fields(problem)
	if err := chromedp.Do(b, chromedp.Navigate(blockPage+problem), chromedp.WaitVisible(testid("field-weight"))); err != nil {
		t.Fatal(err)
	}
	// A number input takes no letters from the keyboard; the value is set
	// as a script or an old browser would send it.
	if _, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="field-weight"]').type = "text"`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.SetValue(testid("field-weight"), "lots"), chromedp.Click(testid("save-block")),
		chromedp.WaitVisible(`[data-testid="field-error"][data-field="weight"]`)); err != nil {
		t.Fatal(err)
	}
	if !evalBool(b, `document.querySelector('[data-testid="field-weight"]').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the weight is not marked invalid")
	}
	if got := evalString(b, `document.querySelector('[data-testid="field-weight"]').value`); got != "lots" {
		t.Errorf("the refused weight reads %q, want what was typed", got)
	}
	if after := fields(problem); after["weight"] != before["weight"] {
		t.Errorf("a refused weight changed the block: %v → %v", before, after)
	}
	if err := chromedp.Do(b, chromedp.SetValue(testid("field-weight"), "2.5"), chromedp.SetValue(testid("field-max_attempts"), "4"),
		chromedp.Click(testid("save-block")), chromedp.WaitVisible(testid("flash"))); err != nil {
		t.Fatal(err)
	}
	if f := fields(problem); f["weight"] != 2.5 || f["max_attempts"] != 4.0 {
		t.Errorf("saved problem fields = %v", f)
	}
}
