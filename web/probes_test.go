package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/migrations"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
	"github.com/seatplan/seatplan/store/storetest"
	"github.com/seatplan/seatplan/web/metrics"
)

type probeAnswer struct {
	status int
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func probe(t *testing.T, url string) probeAnswer {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := probeAnswer{status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return a
}

// waitForProbe polls url until it answers status, and returns that answer.
func waitForProbe(t *testing.T, url string, status int) probeAnswer {
	t.Helper()
	var a probeAnswer
	storetest.WaitFor(t, fmt.Sprintf("%s to answer %d", url, status), func() bool {
		a = probe(t, url)
		return a.status == status
	})
	return a
}

// probedServer is a server whose license cache the test runs and stops.
type probedServer struct {
	url      string
	st       *store.Store
	licenses *handlers.LicenseCache
	metrics  *metrics.Metrics
}

func newProbedServer(t *testing.T) *probedServer {
	t.Helper()
	p := &probedServer{}
	b := setup(t, setupOpts{Deps: func(st *store.Store, d *Deps) {
		keyring, err := licensing.NewKeyring(licensing.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		p.metrics = metrics.New(st.Pool())
		p.licenses = handlers.NewLicenseCache(st, keyring)
		p.licenses.ReportTo(p.metrics)
		d.Keyring, d.Licenses, d.Metrics = keyring, p.licenses, p.metrics
	}})
	p.url, p.st = b.srv.URL, b.store
	return p
}

// listenerUp reads seatplan_license_listener_up as /metrics would serve it.
func (p *probedServer) listenerUp(t *testing.T) float64 {
	t.Helper()
	families, err := p.metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "seatplan_license_listener_up" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no seatplan_license_listener_up")
	return 0
}

// listen runs the license cache until the returned stop is called.
func (p *probedServer) listen(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.licenses.Run(ctx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func TestReadyz_UnreadyWhileTheLicenseCacheIsNotListeningReadyAgainAfter(t *testing.T) {
	t.Parallel()
	p := newProbedServer(t)
	if a := probe(t, p.url+"/readyz"); a.status != http.StatusServiceUnavailable || a.Checks["license_changes"] != "not listening" {
		t.Errorf("before the cache listens: %d %v", a.status, a.Checks)
	}
	stop := p.listen(t)
	waitForProbe(t, p.url+"/readyz", http.StatusOK)
	if up := p.listenerUp(t); up != 1 {
		t.Errorf("listener up %v while listening", up)
	}
	stop()
	if up := p.listenerUp(t); up != 0 {
		t.Errorf("listener up %v with the cache stopped", up)
	}
	a := probe(t, p.url+"/readyz")
	if a.status != http.StatusServiceUnavailable || a.Status != "unready" || a.Checks["license_changes"] != "not listening" || a.Checks["database"] != "ok" {
		t.Errorf("with the cache stopped: %d %s %v", a.status, a.Status, a.Checks)
	}
	if h := probe(t, p.url+"/healthz"); h.status != http.StatusOK {
		t.Errorf("/healthz with the cache stopped: %d (alive and the database answers)", h.status)
	}
	p.listen(t)
	if a := waitForProbe(t, p.url+"/readyz", http.StatusOK); a.Status != "ready" {
		t.Errorf("listening again: %v", a)
	}
}

func TestReadyz_UnreadyWhileMigrationsAreBehind(t *testing.T) {
	t.Parallel()
	p := newProbedServer(t)
	p.listen(t)
	waitForProbe(t, p.url+"/readyz", http.StatusOK)
	ctx := context.Background()
	if err := migrations.Down(ctx, p.st.Pool()); err != nil {
		t.Fatal(err)
	}
	if a := probe(t, p.url+"/readyz"); a.status != http.StatusServiceUnavailable || a.Checks["migrations"] != "pending" {
		t.Errorf("one migration rolled back: %d %v", a.status, a.Checks)
	}
	if err := migrations.Up(ctx, p.st.Pool()); err != nil {
		t.Fatal(err)
	}
	if a := probe(t, p.url+"/readyz"); a.status != http.StatusOK || a.Checks["migrations"] != "current" {
		t.Errorf("migrated again: %d %v", a.status, a.Checks)
	}
}

func TestReadyz_AndHealthzUnavailableWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	p := newProbedServer(t)
	p.st.Pool().Close()
	if a := probe(t, p.url+"/readyz"); a.status != http.StatusServiceUnavailable || a.Checks["database"] != "unreachable" {
		t.Errorf("/readyz: %d %v", a.status, a.Checks)
	}
	if a := probe(t, p.url+"/healthz"); a.status != http.StatusServiceUnavailable {
		t.Errorf("/healthz: %d", a.status)
	}
}
