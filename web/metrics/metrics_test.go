package metrics

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// value sums the series of name whose labels include want.
func value(t *testing.T, m *Metrics, name string, want map[string]string) float64 {
	t.Helper()
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue series
				}
			}
			sum += s.GetCounter().GetValue() + float64(s.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

func TestObserveRequest_ConcurrentFirstRequestsOfARouteAreAllCounted(t *testing.T) {
	t.Parallel()
	m := New(nil)
	const routes, goroutines, each = 5, 16, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				status := []int{200, 304, 404, 503, 99, 700}[(g+i)%6]
				method := []string{"GET", "HEAD", "BREW"}[i%3]
				m.ObserveRequest(fmt.Sprintf("GET /r%d/{id}", i%routes), method, status, time.Millisecond)
			}
		})
	}
	wg.Wait()
	// each is a multiple of 3 and of 6: a third of the requests used the
	// invented method, a third had a status outside 1xx–5xx.
	if got := value(t, m, "seatplan_http_requests_total", nil); got != goroutines*each {
		t.Errorf("requests counted: %v, want %d", got, goroutines*each)
	}
	if got := value(t, m, "seatplan_http_request_duration_seconds", nil); got != goroutines*each {
		t.Errorf("requests timed: %v, want %d", got, goroutines*each)
	}
	// An invented method and an impossible status get one label value each.
	if got := value(t, m, "seatplan_http_requests_total", map[string]string{"method": "OTHER"}); got != goroutines*each/3 {
		t.Errorf("requests with an unknown method: %v", got)
	}
	if got := value(t, m, "seatplan_http_requests_total", map[string]string{"status": "other"}); got != goroutines*each/3 {
		t.Errorf("requests with a status outside 1xx–5xx: %v", got)
	}
	if got := value(t, m, "seatplan_http_requests_total", map[string]string{"route": "GET /r0/{id}", "method": "GET", "status": "2xx"}); got == 0 {
		t.Error("no 2xx GET of the first route")
	}
}

func TestJobOutcome_IsWhatRiverDoesWithTheAttempt(t *testing.T) {
	t.Parallel()
	first := &rivertype.JobRow{Attempt: 1, MaxAttempts: 3}
	last := &rivertype.JobRow{Attempt: 3, MaxAttempts: 3}
	failure := errors.New("database away")
	tests := []struct {
		name string
		job  *rivertype.JobRow
		err  error
		want string
	}{
		{"Done", first, nil, "succeeded"},
		{"ErrorWithAttemptsLeft", first, failure, "retried"},
		{"ErrorOnTheLastAttempt", last, failure, "failed"},
		{"Cancelled", first, river.JobCancel(failure), "failed"},
		{"CancelledWrapped", first, fmt.Errorf("settle: %w", river.JobCancel(failure)), "failed"},
		{"Snoozed", first, river.JobSnooze(time.Second), "snoozed"},
	}
	for _, tt := range tests {
		if got := jobOutcome(tt.job, tt.err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestListenerUp_ZeroAndALossWhenTheConnectionGoes(t *testing.T) {
	t.Parallel()
	m := New(nil)
	m.ListenerUp(true)
	m.ListenerUp(false)
	m.ListenerUp(true)
	m.Notified()
	if got := value(t, m, "seatplan_license_listener_losses_total", nil); got != 1 {
		t.Errorf("losses %v", got)
	}
	if got := value(t, m, "seatplan_license_notifications_total", nil); got != 1 {
		t.Errorf("notifications %v", got)
	}
	if got := gauge(t, m, "seatplan_license_listener_up"); got != 1 {
		t.Errorf("listener up %v after it came back", got)
	}
}

func gauge(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

func TestJobMiddleware_SeriesOfKnownKindsStartAtZero(t *testing.T) {
	t.Parallel()
	m := New(nil)
	m.JobMiddleware("assign_licenses")
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "seatplan_jobs_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if s.GetCounter().GetValue() == 0 {
				seen[labels["kind"]+" "+labels["outcome"]] = true
			}
		}
	}
	for _, outcome := range jobOutcomes {
		if !seen["assign_licenses "+outcome] {
			t.Errorf("no zero series for assign_licenses %s: %v", outcome, seen)
		}
	}
}
