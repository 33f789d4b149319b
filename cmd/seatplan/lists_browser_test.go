package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xuri/excelize/v2"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// An admin uploads the files admins have: an Excel workbook whose address
// column is not the one wanted, and a CSV saved by a German Excel
// (semicolons, Windows-1252) with a bad line; the preview says how each was
// read, the column is switched on the stored upload, and both are assigned.
func TestBrowser_WorkbookAndEuropeanCSVPreviewSwitchColumnAndAssign(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	ctx := context.Background()
	plan, err := st.CreatePlan(ctx, store.NewPlan{Name: "Lists Academy", Seats: 20}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	book := filepath.Join(dir, "Teilnehmer.xlsx")
	writeWorkbook(t, book, "Teilnehmer", [][]any{
		{"Name", "Work e-mail", "Private"},
		{"Ann", "ann@work.example", "ann@home.example"},
		{"Bo", "bo@work.example", "bo@home.example"},
		{"Cy", "cy@work.example", "cy@home.example"},
	})
	// Windows-1252: ü is 0xFC, ë 0xEB; line 4 has no domain.
	csv := filepath.Join(dir, "liste.csv")
	if err := os.WriteFile(csv, []byte("Name;E-Mail\r\nAnna M\xfcller;anna@b\xfccher.de\r\nZo\xeb;zoe@example.de\r\nJ\xfcrgen;juergen@\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/plans/"+plan.ID),
		chromedp.WaitVisible(testid("upload-form")),
		chromedp.SetUploadFiles(testid("upload-file"), []string{book}),
		chromedp.Click(testid("preview-button")),
		chromedp.WaitVisible(testid("preview")),
	); err != nil {
		t.Fatal(err)
	}
	expectTexts(t, b, map[string]string{"source-kind": "an Excel workbook", "source-sheet": "Teilnehmer",
		"source-column": "column 2 (“Work e-mail”)", "preview-new": "3"})

	// Pick the private addresses: the preview is read again from the stored upload.
	// The keyboard, as a person picks an option: the next column is "Private".
	if err := chromedp.Do(b, chromedp.Focus(testid("column-select")), chromedp.SendKeys(testid("column-select"), kb.ArrowDown)); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "source-column", "column 3 (“Private”)")
	expectTexts(t, b, map[string]string{"preview-sample": "ann@home.example", "preview-new": "3"})
	if err := chromedp.Do(b, chromedp.Click(testid("confirm-assignment"))); err != nil {
		t.Fatal(err)
	}
	waitJobPage(t, b)
	if got := liveEmails(t, st, plan.ID); got != "ann@home.example bo@home.example cy@home.example" {
		t.Fatalf("assigned %q, want the private addresses", got)
	}

	if err := chromedp.Do(b,
		chromedp.Navigate(s.URL+"/plans/"+plan.ID),
		chromedp.WaitVisible(testid("upload-form")),
		chromedp.SetUploadFiles(testid("upload-file"), []string{csv}),
		chromedp.Click(testid("preview-button")),
		chromedp.WaitVisible(testid("preview")),
	); err != nil {
		t.Fatal(err)
	}
	expectTexts(t, b, map[string]string{"source-kind": "a table", "source-encoding": "windows-1252", "source-separator": "semicolons",
		"source-column": "column 2 (“E-Mail”)", "preview-sample": "anna@bücher.de", "preview-new": "2", "preview-invalid-count": "1"})
	if row, _ := chromedp.Run(b, chromedp.Text(testid("preview-problem"))); !strings.HasPrefix(row, "4") || !strings.Contains(row, "juergen@") {
		t.Errorf("invalid line shown as %q, want line 4", row)
	}
	if n, _ := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="confirm-assignment"]').length`)); n != 0 {
		t.Error("a list with an invalid line offers a plain Confirm")
	}
	png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "list-preview.png", png)
	if err := chromedp.Do(b, chromedp.Click(testid("confirm-skip-invalid"))); err != nil {
		t.Fatal(err)
	}
	waitJobPage(t, b)
	if got := liveEmails(t, st, plan.ID); got != "ann@home.example anna@xn--bcher-kva.de bo@home.example cy@home.example zoe@example.de" {
		t.Errorf("assigned %q", got)
	}
}

func writeWorkbook(t *testing.T, path, sheet string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func expectTexts(t *testing.T, b context.Context, want map[string]string) {
	t.Helper()
	for id, w := range want {
		if got, err := chromedp.Run(b, chromedp.Text(testid(id))); err != nil || got != w {
			t.Errorf("%s = %q (%v), want %q", id, got, err, w)
		}
	}
}

// waitText waits for an element's text to become want, as htmx swaps it in.
func waitText(t *testing.T, b context.Context, id, want string) {
	t.Helper()
	storetest.WaitWithin(t, 30*time.Second, fmt.Sprintf("%s reads %q", id, want), func() bool {
		got, _ := chromedp.Run(b, chromedp.Text(testid(id), chromedp.AtLeast(0)))
		return got == want
	})
}

// waitJobPage waits for the page to reload at the finished job's URL.
func waitJobPage(t *testing.T, b context.Context) {
	t.Helper()
	storetest.WaitWithin(t, 60*time.Second, "the page reloads at the finished job's URL", func() bool {
		loc, _ := chromedp.Run(b, chromedp.Location())
		return strings.Contains(loc, "job=")
	})
	if err := chromedp.Do(b, chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-progress"][data-status="succeeded"]`))); err != nil {
		t.Fatal(err)
	}
}

// liveEmails are the plan's licensed addresses, sorted, space-separated.
func liveEmails(t *testing.T, st *store.Store, planID string) string {
	t.Helper()
	page, err := st.ListLicenses(context.Background(), planID, store.LicenseFilter{Status: "assigned", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, l := range page.Licenses {
		emails = append(emails, l.Email)
	}
	slices.Sort(emails)
	return strings.Join(emails, " ")
}
