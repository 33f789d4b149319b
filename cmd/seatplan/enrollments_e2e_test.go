package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
)

func TestBrowser_UploadedEnrollmentListIsPreviewedThenEnrolled(t *testing.T) {
	t.Parallel()
	s := startServer(t, testEnv(t))
	ctx := newBrowser(t)
	list := filepath.Join(t.TempDir(), "learners.csv")
	csv := "email,course\n" +
		"new.learner@example.com,course-v1:Demo+CS101+2026\n" +
		"grace@learners.example.com,course-v1:Demo+CS101+2026\n" + // enrolled by the demo data
		"not-an-email,course-v1:Demo+CS101+2026\n" +
		"new.learner@example.com,course-v1:Nope+X+1\n"
	if err := os.WriteFile(list, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := signInInBrowser(ctx, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/enrollments"),
		chromedp.WaitVisible(testid("enrollment-upload")),
		chromedp.SetUploadFiles(testid("enroll-file"), []string{list}),
		chromedp.Click(testid("preview-enrollments")),
		chromedp.WaitVisible(testid("confirm-enroll")),
	)
	if err != nil {
		t.Fatalf("upload and preview: %v", err)
	}
	problem, err := chromedp.Run(ctx, chromedp.Text(testid("preview-problem")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(problem, "line 4") || !strings.Contains(problem, "not-an-email") {
		t.Errorf("preview problem row %q, want line 4 and the bad address", problem)
	}
	unknown, err := chromedp.Run(ctx, chromedp.Text(testid("unknown-course")))
	if err != nil || unknown != "unknown course" {
		t.Errorf("preview flags the unknown course as %q (%v)", unknown, err)
	}

	if err := chromedp.Do(ctx, chromedp.Click(testid("confirm-enroll")), chromedp.WaitVisible(testid("enrollment-result"))); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	for id, want := range map[string]string{"result-enrolled": "1", "result-existing": "1", "result-problems": "2"} {
		got, err := chromedp.Run(ctx, chromedp.Text(testid(id)))
		if err != nil || got != want {
			t.Errorf("%s = %q (%v), want %s", id, got, err, want)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "enrollment-result.png", png)
}
