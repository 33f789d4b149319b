package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func (b *bundle) createPlan(t *testing.T, seats int) string {
	t.Helper()
	status, p := b.call(t, "POST", "/api/v1/plans", "application/json", strings.NewReader(fmt.Sprintf(`{"name":"Acme","seats":%d}`, seats)))
	if status != http.StatusCreated {
		t.Fatalf("create plan: %d %v", status, p)
	}
	return p["id"].(string)
}

// waitJob polls the job until it finishes.
func (b *bundle) waitJob(t *testing.T, statusURL string) map[string]any {
	t.Helper()
	var j map[string]any
	storetest.WaitWithin(t, 30*time.Second, "job "+statusURL+" finishes", func() bool {
		_, j = b.call(t, "GET", statusURL, "", nil)
		return j["status"] == "succeeded" || j["status"] == "failed"
	})
	return j
}

func TestAssignmentsAPI_AcceptsTextCSVAndJSONAndRunsTheJob(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	id := b.createPlan(t, 10)
	for _, c := range []struct{ contentType, body string }{
		{"text/plain", "a@example.com\r\nB@example.com\n\nb@example.com\n"},
		{"text/csv", "\ufeffname,email\nC,\"c@example.com\"\nA,a@example.com\n"},
		{"application/json", `{"emails":["d@example.com","c@example.com"]}`},
	} {
		status, body := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments", c.contentType, strings.NewReader(c.body))
		if status != http.StatusAccepted || body["job_id"] == nil {
			t.Fatalf("%s: %d %v", c.contentType, status, body)
		}
		if j := b.waitJob(t, body["status_url"].(string)); j["status"] != "succeeded" {
			t.Fatalf("%s: job %v", c.contentType, j)
		}
	}
	_, p := b.call(t, "GET", "/api/v1/plans/"+id, "", nil)
	counts := p["counts"].(map[string]any)
	if counts["assigned"] != 4.0 || counts["unassigned"] != 6.0 {
		t.Errorf("counts %v", counts)
	}
	_, lic := b.call(t, "GET", "/api/v1/plans/"+id+"/licenses?status=assigned&q=c", "", nil)
	items := lic["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["email"] != "c@example.com" || items[0].(map[string]any)["activation_key"] == nil {
		t.Errorf("licenses %v", lic)
	}
	_, lic = b.call(t, "GET", "/api/v1/plans/"+id+"/licenses?sort=email&dir=desc", "", nil)
	var emails []string
	for _, l := range lic["items"].([]any) {
		emails = append(emails, l.(map[string]any)["email"].(string))
	}
	if strings.Join(emails, " ") != "d@example.com c@example.com b@example.com a@example.com" {
		t.Errorf("licenses by email, Z to A: %v", emails)
	}
	// A cursor names its order: one of the assignment order is refused in the email order.
	if status, body := b.call(t, "GET", "/api/v1/plans/"+id+"/licenses?sort=email&cursor=assigned.1", "", nil); status != http.StatusBadRequest {
		t.Errorf("a cursor of another order: %d %v", status, body)
	}
	if status, body := b.call(t, "GET", "/api/v1/plans/"+id+"/licenses?sort=seats", "", nil); status != http.StatusBadRequest {
		t.Errorf("an unknown order: %d %v", status, body)
	}
}

func TestAssignmentsAPI_JobReportsTheResult(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	id := b.createPlan(t, 5)
	b.waitJob(t, mustAccept(t, b, id, "a@example.com"))
	j := b.waitJob(t, mustAccept(t, b, id, "a@example.com\nb@example.com\nB@example.com"))
	res := j["result"].(map[string]any)
	if j["kind"] != store.JobAssignLicenses || j["done"] != 2.0 || j["total"] != 2.0 ||
		res["assigned"] != 1.0 || res["already_licensed"] != 1.0 || res["duplicates"] != 1.0 {
		t.Errorf("job %v", j)
	}
}

func mustAccept(t *testing.T, b *bundle, planID, text string) string {
	t.Helper()
	status, body := b.call(t, "POST", "/api/v1/plans/"+planID+"/assignments", "text/plain", strings.NewReader(text))
	if status != http.StatusAccepted {
		t.Fatalf("assign: %d %v", status, body)
	}
	return body["status_url"].(string)
}

func TestAssignmentsAPI_RefusalsHaveJSONErrorShapes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true, Lists: handlers.ListLimits{MaxBytes: 200, MaxEntries: 3}})
	id := b.createPlan(t, 2)
	post := func(contentType, body string) (int, map[string]any) {
		return b.call(t, "POST", "/api/v1/plans/"+id+"/assignments", contentType, strings.NewReader(body))
	}
	t.Run("InvalidAddressesAreListedWithLines", func(t *testing.T) {
		status, body := post("text/plain", "a@example.com\nnope\n")
		problems, _ := body["problems"].([]any)
		var first map[string]any
		if len(problems) == 1 {
			first, _ = problems[0].(map[string]any)
		}
		reason, _ := first["reason"].(string)
		if status != 422 || body["error"] != "invalid_emails" || len(problems) != 1 ||
			first["line"] != 2.0 || first["value"] != "nope" || reason == "" {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("TooFewSeatsSaysHowMany", func(t *testing.T) {
		status, body := post("text/plain", "a@example.com\nb@example.com\nc@example.com\n")
		if status != 422 || body["error"] != "not_enough_seats" || body["needed"] != 3.0 || body["available"] != 2.0 {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("TooManyEntriesIs413", func(t *testing.T) {
		status, body := post("text/plain", "a@x.io\nb@x.io\nc@x.io\nd@x.io\n")
		if status != 413 || body["error"] != "too_many_entries" {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("TooManyBytesIs413", func(t *testing.T) {
		status, body := post("text/plain", strings.Repeat("a", 300)+"@example.com")
		if status != 413 || body["error"] != "too_large" {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("ImageUploadIs422NamingWhatItIs", func(t *testing.T) {
		status, body := post("application/octet-stream", "\x89PNG\r\n\x1a\n\x00\x00")
		if status != 422 || body["error"] != "unsupported_file" || body["looks_like"] != "image" || !strings.Contains(body["message"].(string), "looks like an image") {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("BinaryUploadIs422", func(t *testing.T) {
		status, body := post("application/octet-stream", "a@example.com\n\x00\x01\x02")
		if status != 422 || body["error"] != "not_text" || !strings.Contains(body["message"].(string), "not a text or CSV file") {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("HeldPlanIs409WithTheLock", func(t *testing.T) {
		if _, err := b.store.AcquireLock(context.Background(), store.PlanLockName(id), store.Actor{Kind: store.ActorClient, ID: "x", Name: "other process"}, "import", time.Minute); err != nil {
			t.Fatal(err)
		}
		status, body := post("text/plain", "a@example.com")
		lock, _ := body["lock"].(map[string]any)
		if status != 409 || body["error"] != "blocked_by_another_process" || lock["holder"] != "other process" ||
			!strings.Contains(body["message"].(string), "Lock expires in not more than") {
			t.Errorf("%d %v", status, body)
		}
	})
	_, p := b.call(t, "GET", "/api/v1/plans/"+id, "", nil)
	if p["counts"].(map[string]any)["assigned"] != 0.0 {
		t.Errorf("a refused request changed the plan: %v", p["counts"])
	}
}

func TestPlansAPI_PatchAndRevoke(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	id := b.createPlan(t, 2)
	_, before := b.call(t, "GET", "/api/v1/plans/"+id, "", nil)
	status, after := b.call(t, "PATCH", "/api/v1/plans/"+id, "application/json", strings.NewReader(`{"seats":3}`))
	if status != 200 || after["seats"] != 3.0 || after["terms_changed_at"] == before["terms_changed_at"] {
		t.Errorf("patch: %d %v", status, after)
	}
	b.waitJob(t, mustAccept(t, b, id, "a@example.com\nb@example.com"))
	status, body := b.call(t, "POST", "/api/v1/plans/"+id+"/revocations", "application/json", strings.NewReader(`{"emails":["A@example.com"]}`))
	if status != 200 || body["revoked"] != 1.0 {
		t.Errorf("revoke: %d %v", status, body)
	}
	_, list := b.call(t, "GET", "/api/v1/plans", "", nil)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["counts"].(map[string]any)["revoked"] != 1.0 {
		t.Errorf("plans %v", list)
	}
}

func TestPlansAPI_AuthorsAreForbidden(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAuthor, Jobs: true})
	if status, body := b.call(t, "GET", "/api/v1/plans", "", nil); status != 403 || body["error"] != "forbidden" {
		t.Errorf("%d %v", status, body)
	}
}

func TestPlansAPI_SeatChangesTheDatabaseCannotHonourAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	id := b.createPlan(t, 3)
	b.waitJob(t, mustAccept(t, b, id, "a@example.com\nb@example.com"))
	patch := func(body string) (int, map[string]any) {
		return b.call(t, "PATCH", "/api/v1/plans/"+id, "application/json", strings.NewReader(body))
	}
	if status, body := patch(`{"seats":1}`); status != 422 || body["error"] != "seats_in_use" || body["in_use"] != 2.0 {
		t.Errorf("below in use: %d %v", status, body)
	}
	if status, body := patch(fmt.Sprintf(`{"seats":%d}`, store.MaxSeats+1)); status != 422 {
		t.Errorf("above the maximum: %d %v", status, body)
	}
	if _, err := b.store.AcquireLock(context.Background(), store.PlanLockName(id), store.Actor{Kind: store.ActorClient, ID: "x", Name: "other process"}, "assign 9 licenses", time.Minute); err != nil {
		t.Fatal(err)
	}
	status, body := patch(`{"seats":2}`)
	if lock, _ := body["lock"].(map[string]any); status != 409 || body["error"] != "blocked_by_another_process" || lock["holder"] != "other process" {
		t.Errorf("under a held lock: %d %v", status, body)
	}
	_, p := b.call(t, "GET", "/api/v1/plans/"+id, "", nil)
	if p["seats"] != 3.0 || p["counts"].(map[string]any)["unassigned"] != 1.0 {
		t.Errorf("refused changes changed the plan: %v", p)
	}
}

func TestPlansAPI_InstancesPerLicenseIsEditableAndBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	id := b.createPlan(t, 2)
	if status, p := b.call(t, "GET", "/api/v1/plans/"+id, "", nil); status != http.StatusOK || p["instances_per_license"] != 1.0 {
		t.Fatalf("new plan: %d %v, want 1 instance per license", status, p["instances_per_license"])
	}
	if status, p := b.call(t, "PATCH", "/api/v1/plans/"+id, "application/json", strings.NewReader(`{"instances_per_license":3}`)); status != http.StatusOK || p["instances_per_license"] != 3.0 {
		t.Fatalf("patch: %d %v", status, p)
	}
	status, p := b.call(t, "PATCH", "/api/v1/plans/"+id, "application/json", strings.NewReader(`{"name":"Renamed","instances_per_license":0}`))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("zero instances: %d %v, want 422", status, p)
	}
	if _, p := b.call(t, "GET", "/api/v1/plans/"+id, "", nil); p["name"] != "Acme" || p["instances_per_license"] != 3.0 {
		t.Errorf("a refused patch changed the plan: %v", p)
	}
}
