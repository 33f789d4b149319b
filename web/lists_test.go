package web

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// xlsx is a workbook of one sheet holding rows, as Excel saves it.
func xlsx(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf is a zip archive of files, deflated.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// assigned is how many licenses of the plan are live.
func (b *bundle) assigned(t *testing.T, planID string) int {
	t.Helper()
	p, err := b.store.Plan(context.Background(), planID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Counts.Assigned + p.Counts.Activated
}

func TestAssignmentsAPI_ColumnPicksTheAddressColumnByHeaderOrNumber(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	// Both columns hold addresses; the reader prefers the one headed as an email.
	list := "Private,Work e-mail\r\nann@home.example,ann@work.example\r\nbo@home.example,bo@work.example\r\n"
	for _, c := range []struct{ query, want string }{
		{"", "ann@work.example"},
		{"?column=Private", "ann@home.example"},
		{"?column=1", "ann@home.example"},
		{"?column=" + url.QueryEscape("work E-MAIL"), "ann@work.example"},
	} {
		id := b.createPlan(t, 5)
		status, body := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments"+c.query, "text/csv", strings.NewReader(list))
		if status != http.StatusAccepted {
			t.Fatalf("%q: %d %v", c.query, status, body)
		}
		b.waitJob(t, body["status_url"].(string))
		_, lic := b.call(t, "GET", "/api/v1/plans/"+id+"/licenses?status=assigned&q=ann", "", nil)
		if items := lic["items"].([]any); len(items) != 1 || items[0].(map[string]any)["email"] != c.want {
			t.Errorf("%q assigned %v, want %s", c.query, items, c.want)
		}
	}

	id := b.createPlan(t, 5)
	status, body := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments?column=Phone", "text/csv", strings.NewReader(list))
	if headers, _ := body["headers"].([]any); status != 422 || body["error"] != "unknown_column" || len(headers) != 2 ||
		!strings.Contains(body["message"].(string), `"Work e-mail"`) {
		t.Errorf("an unknown column: %d %v", status, body)
	}
	status, body = b.call(t, "POST", "/api/v1/plans/"+id+"/assignments?column=3", "text/csv", strings.NewReader(list))
	if status != 422 || body["error"] != "unknown_column" {
		t.Errorf("column 3 of 2: %d %v", status, body)
	}
	if n := b.assigned(t, id); n != 0 {
		t.Errorf("refused lists assigned %d", n)
	}
}

func TestAssignmentsAPI_InvalidEntriesAreSkippedOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	id := b.createPlan(t, 5)
	list := "a@example.com\nnot-an-address\nb@example.com\n"
	post := func(query string) (int, map[string]any) {
		return b.call(t, "POST", "/api/v1/plans/"+id+"/assignments"+query, "text/plain", strings.NewReader(list))
	}
	if status, body := post(""); status != 422 || body["error"] != "invalid_emails" {
		t.Fatalf("without skip_invalid: %d %v", status, body)
	}
	if status, body := post("?skip_invalid=maybe"); status != 400 || body["error"] != "invalid_parameter" {
		t.Errorf("skip_invalid=maybe: %d %v", status, body)
	}
	if n := b.assigned(t, id); n != 0 {
		t.Fatalf("refusals assigned %d", n)
	}
	status, body := post("?skip_invalid=true")
	if status != http.StatusAccepted {
		t.Fatalf("skip_invalid=true: %d %v", status, body)
	}
	if j := b.waitJob(t, body["status_url"].(string)); j["result"].(map[string]any)["assigned"] != 2.0 {
		t.Errorf("job %v, want the 2 valid addresses assigned", j)
	}

	// The same list again has nothing new: a notice, not a job.
	status, body = post("?skip_invalid=true")
	res, _ := body["result"].(map[string]any)
	if status != http.StatusOK || body["status"] != "nothing_to_assign" || body["job_id"] != nil ||
		res["already_licensed"] != 2.0 || res["skipped_invalid"] != 1.0 {
		t.Errorf("a repeated list: %d %v", status, body)
	}
}

func TestAssignmentsAPI_FilesThatAreNoListAreRefusedSayingWhatToExport(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true, Lists: handlers.ListLimits{MaxBytes: 1 << 20, MaxEntries: 1000}})
	id := b.createPlan(t, 5)
	// A zip bomb: a sheet of 11 MB of blanks deflates to a few kilobytes;
	// the limit on what a 1 MB upload may unpack to is 10 MB.
	bomb := zipOf(t, map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
		"xl/workbook.xml":     `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
			strings.Repeat(" ", 11<<20) + `<row><c t="inlineStr"><is><t>a@example.com</t></is></c></row></sheetData></worksheet>`,
	})
	if len(bomb) > 100<<10 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	tests := []struct {
		name, contentType string
		body              []byte
		status            int
		kind, says        string
	}{
		{"PDF", "application/pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), 422, "unsupported_file", "looks like a PDF document"},
		{"Image", "image/jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), 422, "unsupported_file", "looks like an image"},
		{"XLS", "application/vnd.ms-excel", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), 422, "unsupported_file", ".xlsx"},
		{"ZipThatIsNoWorkbook", "application/zip", zipOf(t, map[string]string{"notes.txt": "a@example.com"}), 422, "unsupported_file", "zip"},
		{"WorkbookWithoutAddresses", "application/octet-stream", xlsx(t, []any{"Name", "Phone"}, []any{"Ann", "+49 170 1"}, []any{"Bo", "+1 555"}),
			422, "no_email_column", `"Name", "Phone"`},
		{"ZipBomb", "application/octet-stream", bomb, 413, "too_large", "unpacks to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments", tt.contentType, bytes.NewReader(tt.body))
			msg, _ := body["message"].(string)
			if status != tt.status || body["error"] != tt.kind || !strings.Contains(msg, tt.says) {
				t.Errorf("%d %v; want %d %s saying %q", status, body, tt.status, tt.kind, tt.says)
			}
		})
	}
	if n := b.assigned(t, id); n != 0 {
		t.Errorf("refused uploads assigned %d", n)
	}
	// The same limits hold for a workbook with too many rows.
	rows := make([][]any, 1002)
	rows[0] = []any{"Email"}
	for i := range 1001 {
		rows[i+1] = []any{"user" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "@example.com"}
	}
	status, body := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments", "application/octet-stream", bytes.NewReader(xlsx(t, rows...)))
	if status != 413 || body["error"] != "too_many_entries" {
		t.Errorf("a workbook over the entries: %d %v", status, body)
	}
}

func TestAssignmentPage_APreviewIsOnlyItsUploadersAndOnlyForItsPlan(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	ada := b.signedInAdmin(t)
	b.person(t, "bob@example.com", store.RoleAdmin)
	bob := b.browser(t)
	b.signIn(t, bob, "bob@example.com", "correct horse battery")
	plan, other := b.createPlan(t, 3), b.createPlan(t, 3)
	preview := previewList(t, b, ada, plan, "a@example.com\nb@example.com\n")

	confirm := func(c *http.Client, planID string) int {
		form := []byte(url.Values{"preview": {preview}}.Encode())
		return post(t, c, b.srv.URL+"/plans/"+planID+"/assignments", "application/x-www-form-urlencoded", form, "HX-Request", "true").StatusCode
	}
	if status := confirm(ada, other); status != http.StatusNotFound {
		t.Errorf("the preview confirmed on another plan: %d", status)
	}
	if status := confirm(bob, plan); status != http.StatusNotFound {
		t.Errorf("another admin confirmed the preview: %d", status)
	}
	if resp := get(t, bob, b.srv.URL+"/plans/"+plan+"/assignments/previews/"+preview+"?column=1", "HX-Request", "true"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another admin re-read the preview: %d", resp.StatusCode)
	}
	if b.assigned(t, plan)+b.assigned(t, other) != 0 {
		t.Fatal("a refused confirm assigned licenses")
	}
	if status := confirm(ada, plan); status != http.StatusAccepted {
		t.Errorf("the uploader's confirm: %d", status)
	}
}

func TestAssignmentPage_StartOverKeepsThePastedText(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	plan := b.createPlan(t, 3)
	pasted := "\nAnna Müller <anna@bücher.de>; \"Lee, Bo\" <bo@example.com>\n"
	preview := previewList(t, b, c, plan, pasted)
	d := doc(t, get(t, c, b.srv.URL+"/plans/"+plan+"/assignments/previews/"+preview, "HX-Request", "true"))
	if got := d.Find(`[data-testid="preview-sample"]`).First().Text(); got != "anna@bücher.de" {
		t.Errorf("first address shown as %q, want the Unicode domain", got)
	}
	again, _ := d.Find(`[data-testid="start-over"]`).Attr("hx-get")
	d = doc(t, get(t, c, b.srv.URL+again, "HX-Request", "true"))
	if got := d.Find(`[data-testid="upload-text"]`).Text(); got != pasted {
		t.Errorf("the form after Start over holds %q, want %q", got, pasted)
	}
}

func TestEnrollmentsAPI_ReadsAWorkbookWithTheColumnsNamed(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	for _, key := range []string{"cs101", "cs102"} {
		if status, body := b.call(t, "POST", "/api/v1/courses", "application/json", strings.NewReader(`{"key":"`+key+`","title":"Course"}`)); status != http.StatusCreated {
			t.Fatalf("create course: %d %v", status, body)
		}
	}
	// "Gruppe" names no course the reader knows of, and "Notiz" comes first.
	book := xlsx(t, []any{"Mail", "Notiz", "Gruppe"}, []any{"ann@example.com", "vip", "cs101"}, []any{"bo@example.com", "", "cs102"})
	status, body := b.call(t, "POST", "/api/v1/enrollments?course_column=Gruppe", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes.NewReader(book))
	if problems, _ := body["problems"].([]any); status != http.StatusOK || body["enrolled"] != 2.0 || len(problems) != 0 {
		t.Errorf("%d %v, want both pairs enrolled", status, body)
	}
	status, body = b.call(t, "POST", "/api/v1/enrollments?course_column=9", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes.NewReader(book))
	if status != 422 || body["error"] != "unknown_column" {
		t.Errorf("an unknown course column: %d %v", status, body)
	}
}

func TestAssignmentPage_AListWithInvalidLinesIsAssignedOnlyBySkippingThem(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	plan := b.createPlan(t, 3)
	// The zero-width space is removed before validation; the soft hyphen
	// inside "bad" is shown, as the reason is about what the admin cannot see.
	preview := previewList(t, b, c, plan, "a@example.com\nb\u200b@example.com\nno-at-sign\u00ad\n")
	confirm := func(form url.Values) (*http.Response, int) {
		form.Set("preview", preview)
		resp := post(t, c, b.srv.URL+"/plans/"+plan+"/assignments", "application/x-www-form-urlencoded", []byte(form.Encode()), "HX-Request", "true")
		return resp, resp.StatusCode
	}
	resp, status := confirm(url.Values{})
	if msg := doc(t, resp).Find(`[data-testid="upload-error"]`).Text(); status != 422 || !strings.Contains(msg, "line 3") || !strings.Contains(msg, "[U+00AD]") {
		t.Errorf("confirm without skipping: %d %q", status, msg)
	}
	if n := b.assigned(t, plan); n != 0 {
		t.Fatalf("a refused confirm assigned %d", n)
	}
	if _, status := confirm(url.Values{"skip_invalid": {"true"}}); status != http.StatusAccepted {
		t.Fatalf("confirm skipping the invalid line: %d", status)
	}
	storetest.WaitWithin(t, 20*time.Second, "the 2 valid addresses assigned", func() bool { return b.assigned(t, plan) == 2 })
}
