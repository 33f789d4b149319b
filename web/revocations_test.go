package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestPlanPage_RevokeAListPreviewsThenRevokesAsAJob(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	id := b.createPlan(t, 5)
	status, accepted := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments", "text/plain",
		strings.NewReader("ann@example.com\nbob@example.com\ncyd@example.com\n"))
	if status != http.StatusAccepted {
		t.Fatalf("assign: %d %v", status, accepted)
	}
	b.waitJob(t, accepted["status_url"].(string))

	ct, body := upload(t, "leavers.csv", "email\r\nANN@example.com\r\nbob@example.com\r\nann@example.com\r\nnobody@example.com\r\nnot an address\r\n")
	resp := post(t, c, b.srv.URL+"/plans/"+id+"/revocations/preview", ct, body, "HX-Request", "true")
	d := doc(t, resp)
	for testid, want := range map[string]string{"revoke-preview-live": "2", "revoke-preview-not-licensed": "1", "revoke-preview-duplicates": "1"} {
		if got := d.Find(`[data-testid="` + testid + `"]`).Text(); resp.StatusCode != http.StatusOK || got != want {
			t.Errorf("preview %s = %q (%d), want %s: %s", testid, got, resp.StatusCode, want, d.Text())
		}
	}
	if d.Find(`[data-testid="revoke-preview-invalid"]`).Length() != 1 {
		t.Error("the preview does not say an entry is no address")
	}
	if got := b.assigned(t, id); got != 3 {
		t.Fatalf("the preview changed the plan: %d live", got)
	}
	preview, _ := d.Find(`[data-testid="revoke-preview"]`).Attr("data-preview-id")
	if confirm, _ := d.Find(`[data-testid="revoke-preview"] form`).Attr("hx-confirm"); confirm != "Revoke 2 licenses? Their seats become free." {
		t.Errorf("the confirm asks %q", confirm)
	}

	resp = post(t, c, b.srv.URL+"/plans/"+id+"/revocations/list", "application/x-www-form-urlencoded",
		[]byte(url.Values{"preview": {preview}}.Encode()), "HX-Request", "true")
	d = doc(t, resp)
	poll, _ := d.Find(`[data-testid="job-status"]`).Attr("hx-get")
	if resp.StatusCode != http.StatusAccepted || d.Find("progress").Length() != 1 {
		t.Fatalf("confirm: %d %s", resp.StatusCode, d.Text())
	}
	storetest.WaitWithin(t, 20*time.Second, "the progress fragment says succeeded", func() bool {
		if poll == "" {
			return true
		}
		d = doc(t, get(t, c, b.srv.URL+poll, "HX-Request", "true"))
		status, _ := d.Find(`[data-testid="job-progress"]`).Attr("data-status")
		return status == "succeeded"
	})
	if got := d.Find(`[data-testid="job-revoked"]`).Text(); got != "2" || d.Find(`[data-testid="job-used"]`).Text() != "1" {
		t.Errorf("finished fragment: revoked %q: %s", got, d.Text())
	}
	if got := b.assigned(t, id); got != 1 {
		t.Errorf("%d live licenses after the revocation, want 1", got)
	}
	// The preview served once.
	resp = post(t, c, b.srv.URL+"/plans/"+id+"/revocations/list", "application/x-www-form-urlencoded",
		[]byte(url.Values{"preview": {preview}}.Encode()), "HX-Request", "true")
	if d := doc(t, resp); resp.StatusCode != http.StatusNotFound || d.Find(`[data-testid="revoke-list-error"]`).Length() != 1 {
		t.Errorf("a used preview confirmed again: %d %s", resp.StatusCode, d.Text())
	}
	// A preview shown as "assign these" is never confirmed as "revoke these".
	assignPreview := previewList(t, b, c, id, "cyd@example.com\n")
	resp = post(t, c, b.srv.URL+"/plans/"+id+"/revocations/list", "application/x-www-form-urlencoded",
		[]byte(url.Values{"preview": {assignPreview}}.Encode()), "HX-Request", "true")
	if resp.StatusCode != http.StatusNotFound || b.assigned(t, id) != 1 {
		t.Errorf("an assignment preview confirmed as a revocation: %d, %d live", resp.StatusCode, b.assigned(t, id))
	}

	// A list that holds no license makes no job and says so.
	preview = revocationPreview(t, b, c, id, "nobody@example.com\n")
	resp = post(t, c, b.srv.URL+"/plans/"+id+"/revocations/list", "application/x-www-form-urlencoded",
		[]byte(url.Values{"preview": {preview}}.Encode()), "HX-Request", "true")
	if d := doc(t, resp); resp.StatusCode != http.StatusOK || d.Find(`[data-testid="revoke-list-notice"]`).Length() != 1 {
		t.Errorf("nothing to revoke: %d %s", resp.StatusCode, d.Text())
	}
}

func revocationPreview(t *testing.T, b *bundle, c *http.Client, planID, text string) string {
	t.Helper()
	form := []byte(url.Values{"emails": {text}}.Encode())
	d := doc(t, post(t, c, b.srv.URL+"/plans/"+planID+"/revocations/preview", "application/x-www-form-urlencoded", form, "HX-Request", "true"))
	id, ok := d.Find(`[data-testid="revoke-preview"]`).Attr("data-preview-id")
	if !ok || id == "" {
		t.Fatalf("no preview: %s", d.Text())
	}
	return id
}
