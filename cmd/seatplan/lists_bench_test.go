package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// BenchmarkAssignmentPage100k measures the plan page's assignment of 100,000
// addresses, preview to job done, against a separate `seatplan serve`: the
// upload previewed (read, stored on the server, counted), confirmed by the
// preview's id (the stored upload read again) and assigned. The same list
// comes as UTF-8 text (the baseline, in the same run), as a Windows-1252 CSV
// with semicolons, and as an .xlsx. It reports the server's peak RSS.
func BenchmarkAssignmentPage100k(b *testing.B) {
	const n = 100_000
	dbURL := storetest.NewDatabase(b)
	srv := startServeProcess(b, []string{"DATABASE_URL=" + dbURL})
	api := newAPIClients(b, dbURL, "bench plans", "admin", srv.URL)[0]
	page := signedInPage(b, dbURL, srv.URL)

	emails := strings.Split(benchEmails("page", n), "\n")
	var text, csv strings.Builder
	csv.WriteString("Name;E-Mail\r\n")
	for i, e := range emails {
		text.WriteString(e + "\n")
		fmt.Fprintf(&csv, "Jürgen Müller %d;%s\r\n", i, e)
	}
	cp1252, err := charmap.Windows1252.NewEncoder().String(csv.String())
	if err != nil {
		b.Fatal(err)
	}
	book := benchWorkbook(b, emails)
	uploads := []struct {
		name, file string
		body       []byte
	}{
		{"UTF-8 text", "list.txt", []byte(text.String())},
		{"Windows-1252 CSV", "liste.csv", []byte(cp1252)},
		{"xlsx", "Teilnehmer.xlsx", book},
	}

	took := make([]time.Duration, len(uploads))
	rounds := 0
	for b.Loop() {
		for i, u := range uploads {
			planID := createBenchPlan(b, api, n)
			start := time.Now()
			jobID := page.previewAndConfirm(b, planID, u.file, u.body)
			if j, err := api.waitJob("/api/v1/jobs/"+jobID, 5*time.Minute); err != nil || j["status"] != "succeeded" {
				b.Fatalf("%s: job %v %v", u.name, j, err)
			}
			took[i] += time.Since(start)
		}
		rounds++
	}
	base := took[0] / time.Duration(rounds)
	b.ReportMetric(base.Seconds(), "s/100k-text")
	for i, u := range uploads[1:] {
		d := took[i+1] / time.Duration(rounds)
		unit := strings.ReplaceAll(strings.ToLower(u.name), " ", "-")
		b.ReportMetric(d.Seconds(), "s/100k-"+unit)
		b.ReportMetric(d.Seconds()/base.Seconds(), "x-text-"+unit)
		b.Logf("%s: preview to done %s, %.2f× the UTF-8 text's %s", u.name, d.Round(time.Millisecond), d.Seconds()/base.Seconds(), base.Round(time.Millisecond))
	}
	if rss, err := peakRSS(srv.cmd.Process.Pid); err == nil {
		b.ReportMetric(float64(rss)/1024, "server-peak-RSS-MB")
	}
}

// benchWorkbook is an .xlsx with a name and an address per row, as Excel
// keeps it (the text in the shared-strings table).
func benchWorkbook(b *testing.B, emails []string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"Name", "E-Mail"}); err != nil {
		b.Fatal(err)
	}
	for i, e := range emails {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("Learner %d", i), e}); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// pageSession is a browser's session on the pages: its cookies, no redirects followed.
type pageSession struct {
	base string
	c    *http.Client
}

func signedInPage(b *testing.B, dbURL, base string) *pageSession {
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if _, err := store.New(pool).CreatePerson(context.Background(),
		store.NewPerson{Email: "bench@example.com", Role: store.RoleAdmin, Password: "correct horse battery"}, store.SystemActor); err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	p := &pageSession{base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if status, _ := p.post(b, "/login", "application/x-www-form-urlencoded",
		[]byte(url.Values{"email": {"bench@example.com"}, "password": {"correct horse battery"}}.Encode())); status != http.StatusSeeOther {
		b.Fatalf("sign in: %d", status)
	}
	return p
}

// post sends a form as the page's htmx does.
func (p *pageSession) post(b *testing.B, path, contentType string, body []byte) (int, *http.Response) {
	req, _ := http.NewRequest("POST", p.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if path != "/login" {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := p.c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	return resp.StatusCode, resp
}

var (
	previewIDAttr = regexp.MustCompile(`data-preview-id="([^"]+)"`)
	columnInput   = regexp.MustCompile(`name="column" value="([0-9]+)"`)
	// The job's id: in the progress bar's poll, or, once the job is done, where htmx is sent.
	jobURL = regexp.MustCompile(`/jobs/([0-9A-Z]+)|[?&]job=([0-9A-Z]+)`)
)

// previewAndConfirm uploads a file as the plan page's form does, confirms
// the preview it shows, and returns the job's id.
func (p *pageSession) previewAndConfirm(b *testing.B, planID, file string, content []byte) string {
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", file)
	fw.Write(content)
	mw.WriteField("emails", "")
	mw.Close()
	status, resp := p.post(b, "/plans/"+planID+"/assignments/preview", mw.FormDataContentType(), form.Bytes())
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := previewIDAttr.FindSubmatch(html)
	if status != http.StatusOK || id == nil {
		b.Fatalf("preview %s: %d %.500s", file, status, html)
	}
	confirm := url.Values{"preview": {string(id[1])}}
	if col := columnInput.FindSubmatch(html); col != nil {
		confirm.Set("column", string(col[1]))
	}
	status, resp = p.post(b, "/plans/"+planID+"/assignments", "application/x-www-form-urlencoded", []byte(confirm.Encode()))
	html, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	job := jobURL.FindSubmatch(append(html, resp.Header.Get("HX-Redirect")...))
	if status != http.StatusAccepted || job == nil {
		b.Fatalf("confirm %s: %d %.500s", file, status, html)
	}
	return string(job[1]) + string(job[2])
}
