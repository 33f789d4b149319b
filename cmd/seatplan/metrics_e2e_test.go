package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// scrapeMetrics reads /metrics the way Prometheus does (this test is on
// loopback, which needs no token) and parses the text format.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return families
}

// sampleValue sums the series of name whose labels include the given
// name/value pairs: a counter's or gauge's value, a histogram's count.
func sampleValue(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	var sum float64
	f := families[name]
	if f == nil {
		return 0
	}
series:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// expectation is one series a scrape must show at least (or exactly) so much of.
type expectation struct {
	name   string
	labels []string
	atLeast,
	exactly float64 // checked when non-zero
}

func TestMetrics_AfterRealWorkCountersMoveLabelledByRoutePatternNeverByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, testEnv(t))
	api := newAPIClient(t, s, "ops", "admin")
	f := setupLicenseFixture(t, s.dbURL)

	// License refreshes: one document, three "not modified", one refused.
	act, _, err := activateOver(t, s.URL, f.key)
	if err != nil {
		t.Fatal(err)
	}
	first := getLicense(t, s.URL, act.ActivationID, act.Secret, "")
	for range 3 {
		if got := getLicense(t, s.URL, act.ActivationID, act.Secret, first.etag); got.status != http.StatusNotModified {
			t.Fatalf("revalidation: %d", got.status)
		}
	}
	if got := getLicense(t, s.URL, act.ActivationID, "not-the-secret", ""); got.status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", got.status)
	}

	// A job under the plan's lock, then a request refused by a lock held elsewhere.
	planID := api.createPlan(t, 5)
	statusURL, err := api.assignUntilAccepted(planID, "a@example.com\nb@example.com\n")
	if err != nil {
		t.Fatal(err)
	}
	job, err := api.waitJob(statusURL, 30*time.Second)
	if err != nil || job["status"] != "succeeded" {
		t.Fatalf("assignment job: %v %v", job, err)
	}
	held, err := f.store.AcquireLock(ctx, store.PlanLockName(planID), store.SystemActor, "metrics test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status, body, err := api.do("POST", "/api/v1/plans/"+planID+"/assignments", "text/plain", "c@example.com\n"); err != nil || status != http.StatusConflict {
		t.Fatalf("assignment under a held lock: %d %v %v", status, body, err)
	}
	if err := f.store.ReleaseLock(ctx, held); err != nil {
		t.Fatal(err)
	}
	// A path no route takes, carrying an id.
	unknown := "/api/v1/nothing/" + store.NewID()
	if resp, err := http.Get(s.URL + unknown); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	const license = "GET /api/v1/activations/{id}/license"
	const assign = "POST /api/v1/plans/{id}/assignments"
	want := []expectation{
		{name: "seatplan_http_requests_total", labels: []string{"route", license, "method", "GET", "status", "2xx"}, exactly: 1},
		{name: "seatplan_http_requests_total", labels: []string{"route", license, "method", "GET", "status", "3xx"}, exactly: 3},
		{name: "seatplan_http_requests_total", labels: []string{"route", license, "method", "GET", "status", "4xx"}, exactly: 1},
		{name: "seatplan_http_request_duration_seconds", labels: []string{"route", license, "status", "3xx"}, exactly: 3},
		{name: "seatplan_http_requests_total", labels: []string{"route", assign, "method", "POST", "status", "2xx"}, atLeast: 1},
		{name: "seatplan_http_requests_total", labels: []string{"route", assign, "method", "POST", "status", "4xx"}, atLeast: 1},
		{name: "seatplan_http_requests_total", labels: []string{"route", "unmatched", "status", "4xx"}, exactly: 1},
		{name: "seatplan_license_refreshes_total", labels: []string{"outcome", "200"}, exactly: 1},
		{name: "seatplan_license_refreshes_total", labels: []string{"outcome", "304"}, exactly: 3},
		{name: "seatplan_license_refreshes_total", labels: []string{"outcome", "refused"}, exactly: 1},
		{name: "seatplan_license_cache_lookups_total", labels: []string{"result", "hit"}, atLeast: 3},
		{name: "seatplan_jobs_total", labels: []string{"kind", store.JobAssignLicenses, "outcome", "succeeded"}, atLeast: 1},
		{name: "seatplan_job_duration_seconds", labels: []string{"kind", store.JobAssignLicenses, "outcome", "succeeded"}, atLeast: 1},
		{name: "seatplan_lock_grants_total", labels: []string{"kind", "plan"}, atLeast: 1},
		{name: "seatplan_lock_refusals_total", labels: []string{"kind", "plan"}, exactly: 1},
		{name: "seatplan_license_listener_up", exactly: 1},
		{name: "seatplan_db_pool_total_conns", atLeast: 1},
		{name: "seatplan_db_pool_acquires_total", atLeast: 1},
		{name: "seatplan_build_info", exactly: 1},
		{name: "go_goroutines", atLeast: 1},
	}
	// A request is counted once its handler returns, which may be just
	// after its client has read the answer: wait until every count is in.
	var families map[string]*dto.MetricFamily
	var missing []string
	defer func() {
		if len(missing) > 0 {
			t.Logf("series without the expected counts: %v", missing)
		}
	}()
	storetest.WaitFor(t, "every series reaches its expected count", func() bool {
		families, missing = scrapeMetrics(t, s.URL), nil
		for _, e := range want {
			got := sampleValue(families, e.name, e.labels...)
			if got < e.atLeast || (e.exactly != 0 && got != e.exactly) {
				missing = append(missing, e.name+"{"+strings.Join(e.labels, ",")+"}")
			}
		}
		return len(missing) == 0
	})
	if bi := families["seatplan_build_info"].GetMetric()[0]; len(bi.GetLabel()) < 2 {
		t.Errorf("build info labels: %v", bi.GetLabel())
	}

	// No label anywhere carries an id or a raw path.
	ids := []string{planID, act.ActivationID, f.key, f.plan.ID, unknown, strings.TrimPrefix(statusURL, "/api/v1/jobs/")}
	for name, fam := range families {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, id := range ids {
					if strings.Contains(l.GetValue(), id) {
						t.Errorf("%s has label %s=%q, which carries %q", name, l.GetName(), l.GetValue(), id)
					}
				}
				if l.GetName() == "route" && l.GetValue() != "unmatched" && l.GetValue() != "none" && !strings.Contains(l.GetValue(), " /") {
					t.Errorf("%s: route label %q is not a route pattern", name, l.GetValue())
				}
			}
		}
	}
}
