// Package metrics is what a Seatplan process tells Prometheus: requests by
// route, license refreshes and the cache, jobs, plan and course locks, the
// database pool, the listening connection and the build. Labels never carry
// ids or raw paths, so the number of series does not grow with the data.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
)

// Metrics holds one process's collectors in its own registry (not the
// global default, so tests and several servers in one process do not mix).
// It implements store.LockObserver and handlers.LicenseObserver.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	routes   sync.Map // route label → *routeSeries

	refreshes      map[string]prometheus.Counter
	lookups        map[string]prometheus.Counter
	listenerUp     prometheus.Gauge
	listenerLosses prometheus.Counter
	notifications  prometheus.Counter

	jobs        *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec

	lockGrants, lockRefusals, leasesLost *prometheus.CounterVec
}

// Route labels of requests no route pattern names.
const (
	// RouteUnmatched: the catch-all answered (404 or 405).
	RouteUnmatched = "unmatched"
	// RouteNone: refused before routing (a cross-site post, a failed
	// session lookup).
	RouteNone = "none"
)

// requestBuckets span a license refresh answered from memory (well under a
// millisecond) to an upload parsed in the request (seconds).
var requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// jobBuckets span a housekeeping pass to a 100,000-email assignment.
var jobBuckets = []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 600}

// New registers every collector, the pool's statistics read from pool at
// each scrape (none when pool is nil).
func New(pool *pgxpool.Pool) *Metrics {
	reg := prometheus.NewRegistry()
	f := factory{reg}
	m := &Metrics{
		reg: reg,
		requests: f.counterVec("seatplan_http_requests_total",
			"HTTP requests answered, by route pattern, method and status class.", "route", "method", "status"),
		latency: f.histogramVec("seatplan_http_request_duration_seconds",
			"Time to answer an HTTP request, by route pattern, method and status class.", requestBuckets, "route", "method", "status"),
		listenerUp: f.gauge("seatplan_license_listener_up",
			"1 while the license cache's LISTEN connection is up; while 0, refreshes re-read the database every second."),
		listenerLosses: f.counter("seatplan_license_listener_losses_total",
			"Times the license cache's LISTEN connection was lost."),
		notifications: f.counter("seatplan_license_notifications_total",
			"License change notifications heard by the license cache."),
		jobs: f.counterVec("seatplan_jobs_total",
			"Background job attempts finished, by kind and outcome (succeeded, failed, retried, snoozed).", "kind", "outcome"),
		jobDuration: f.histogramVec("seatplan_job_duration_seconds",
			"Time a background job attempt ran, by kind and outcome.", jobBuckets, "kind", "outcome"),
		lockGrants: f.counterVec("seatplan_lock_grants_total",
			"Plan and course locks taken, by kind.", "kind"),
		lockRefusals: f.counterVec("seatplan_lock_refusals_total",
			"Requests refused because work held the plan or course lock (Blocked by another process), by kind.", "kind"),
		leasesLost: f.counterVec("seatplan_lock_leases_lost_total",
			"Times work found its lease lost (a heartbeat or a fenced write came too late), by kind.", "kind"),
	}
	refreshes := f.counterVec("seatplan_license_refreshes_total",
		"License refreshes by outcome: 200 (a document), 304 (not modified), refused (unknown activation or wrong secret) or error.", "outcome")
	m.refreshes = curried(refreshes, handlers.RefreshOK, handlers.RefreshNotModified, handlers.RefreshRefused, handlers.RefreshFailed)
	lookups := f.counterVec("seatplan_license_cache_lookups_total",
		"License refreshes by what the cache had: hit (answered from memory), miss (read the database) or outage (kept through a database outage).", "result")
	m.lookups = curried(lookups, handlers.CacheHit, handlers.CacheMiss, handlers.CacheOutage)
	// Every kind from the start, so rate() sees a zero before the first event.
	for _, kind := range []string{store.LockKind(store.PlanLockName("")), store.LockKind(store.CourseLockName(""))} {
		m.lockGrants.WithLabelValues(kind)
		m.lockRefusals.WithLabelValues(kind)
		m.leasesLost.WithLabelValues(kind)
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo())
	if pool != nil {
		reg.MustRegister(poolCollector{pool})
	}
	return m
}

type factory struct{ reg *prometheus.Registry }

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

// curried resolves a one-label vector's children once, so counting on the
// hot path is one atomic add.
func curried(v *prometheus.CounterVec, values ...string) map[string]prometheus.Counter {
	out := make(map[string]prometheus.Counter, len(values))
	for _, value := range values {
		out[value] = v.WithLabelValues(value)
	}
	return out
}

// Handler serves the registry in the Prometheus text format. The server's
// own compression middleware encodes it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, DisableCompression: true})
}

// Gatherer is the registry, for tests that read it directly.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// ObserveRequest counts one answered request. route is the pattern that
// served it (see the Route… values otherwise); method is normalised so a
// client cannot invent label values.
func (m *Metrics) ObserveRequest(route, method string, status int, took time.Duration) {
	s := m.seriesOf(route, method, status)
	s.count.Inc()
	s.latency.Observe(took.Seconds())
}

// routeSeries are one route's series by method and status class, resolved
// once: the label lookup would otherwise be most of a refresh's cost.
type routeSeries [len(methods) + 1][len(statusClasses) + 1]atomic.Pointer[series]

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

var (
	methods       = [...]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}
	statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}
)

// The label values of a method or status outside the lists above.
const (
	otherMethod = "OTHER"
	otherStatus = "other"
)

func (m *Metrics) seriesOf(route, method string, status int) *series {
	v, ok := m.routes.Load(route)
	if !ok {
		v, _ = m.routes.LoadOrStore(route, new(routeSeries))
	}
	mi := len(methods)
	for i, known := range methods {
		if method == known {
			mi = i
			break
		}
	}
	ci := status/100 - 1
	if ci < 0 || ci >= len(statusClasses) {
		ci = len(statusClasses)
	}
	slot := &v.(*routeSeries)[mi][ci]
	if s := slot.Load(); s != nil {
		return s
	}
	methodLabel, classLabel := otherMethod, otherStatus
	if mi < len(methods) {
		methodLabel = methods[mi]
	}
	if ci < len(statusClasses) {
		classLabel = statusClasses[ci]
	}
	// Racing first requests resolve the same children; either store wins.
	s := &series{m.requests.WithLabelValues(route, methodLabel, classLabel), m.latency.WithLabelValues(route, methodLabel, classLabel)}
	slot.Store(s)
	return s
}

// Refreshed implements handlers.LicenseObserver.
func (m *Metrics) Refreshed(outcome string) { m.refreshes[outcome].Inc() }

// CacheLookup implements handlers.LicenseObserver.
func (m *Metrics) CacheLookup(result string) { m.lookups[result].Inc() }

// ListenerUp implements handlers.LicenseObserver.
func (m *Metrics) ListenerUp(up bool) {
	if up {
		m.listenerUp.Set(1)
		return
	}
	m.listenerUp.Set(0)
	m.listenerLosses.Inc()
}

// Notified implements handlers.LicenseObserver.
func (m *Metrics) Notified() { m.notifications.Inc() }

// LockGranted implements store.LockObserver.
func (m *Metrics) LockGranted(kind string) { m.lockGrants.WithLabelValues(kind).Inc() }

// LockRefused implements store.LockObserver.
func (m *Metrics) LockRefused(kind string) { m.lockRefusals.WithLabelValues(kind).Inc() }

// LeaseLost implements store.LockObserver.
func (m *Metrics) LeaseLost(kind string) { m.leasesLost.WithLabelValues(kind).Inc() }

// The outcomes of a job attempt.
const (
	jobSucceeded = "succeeded"
	jobFailed    = "failed"  // for good: cancelled by its worker, or no attempts left
	jobRetried   = "retried" // River runs it again
	jobSnoozed   = "snoozed"
)

var jobOutcomes = []string{jobSucceeded, jobFailed, jobRetried, jobSnoozed}

// JobMiddleware times every job attempt River works, by kind and outcome.
// The series of kinds start at zero, so that the first failure of a kind
// shows as an increase.
func (m *Metrics) JobMiddleware(kinds ...string) rivertype.Middleware {
	for _, kind := range kinds {
		for _, outcome := range jobOutcomes {
			m.jobs.WithLabelValues(kind, outcome)
			m.jobDuration.WithLabelValues(kind, outcome)
		}
	}
	return &jobMiddleware{m: m}
}

type jobMiddleware struct {
	river.MiddlewareDefaults
	m *Metrics
}

func (j *jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	outcome := jobOutcome(job, err)
	j.m.jobs.WithLabelValues(job.Kind, outcome).Inc()
	j.m.jobDuration.WithLabelValues(job.Kind, outcome).Observe(time.Since(start).Seconds())
	return err
}

// jobOutcome is what River does with an attempt: a failure is final when the
// worker cancels the job or it has no attempts left.
func jobOutcome(job *rivertype.JobRow, err error) string {
	var cancel *rivertype.JobCancelError
	var snooze *rivertype.JobSnoozeError
	switch {
	case err == nil:
		return jobSucceeded
	case errors.As(err, &snooze):
		return jobSnoozed
	case errors.As(err, &cancel) || job.Attempt >= job.MaxAttempts:
		return jobFailed
	}
	return jobRetried
}

// buildInfo is seatplan_build_info: always 1, labelled with the module
// version and the VCS commit the binary was built from.
func buildInfo() prometheus.Collector {
	version, commit, modified := "unknown", "unknown", "false"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "seatplan_build_info",
		Help:        "The running binary: module version, VCS commit and whether the tree had uncommitted changes.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "modified": modified}})
	g.Set(1)
	return g
}

// poolCollector reads pgxpool.Stat at each scrape.
type poolCollector struct{ pool *pgxpool.Pool }

var poolDescs = struct {
	acquired, idle, constructing, total, max                                      *prometheus.Desc
	acquires, acquireSeconds, emptyAcquires, emptyWaitSeconds, canceled, newConns *prometheus.Desc
	lifetimeDestroys, idleDestroys                                                *prometheus.Desc
}{
	acquired:         poolDesc("acquired_conns", "Connections in use."),
	idle:             poolDesc("idle_conns", "Idle connections."),
	constructing:     poolDesc("constructing_conns", "Connections being opened."),
	total:            poolDesc("total_conns", "Open connections (acquired, idle and constructing)."),
	max:              poolDesc("max_conns", "Most connections the pool opens."),
	acquires:         poolDesc("acquires_total", "Connections handed out."),
	acquireSeconds:   poolDesc("acquire_seconds_total", "Time spent handing out connections."),
	emptyAcquires:    poolDesc("empty_acquires_total", "Acquires that had to wait: no idle connection was ready (a sign of saturation)."),
	emptyWaitSeconds: poolDesc("empty_acquire_wait_seconds_total", "Time acquires spent waiting for a connection."),
	canceled:         poolDesc("canceled_acquires_total", "Acquires cancelled by their context while waiting."),
	newConns:         poolDesc("new_conns_total", "Connections opened."),
	lifetimeDestroys: poolDesc("max_lifetime_destroys_total", "Connections closed for reaching their maximum lifetime."),
	idleDestroys:     poolDesc("max_idle_destroys_total", "Connections closed for idling too long."),
}

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("seatplan_db_pool_"+name, help, nil, nil)
}

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	d := poolDescs
	for _, desc := range []*prometheus.Desc{d.acquired, d.idle, d.constructing, d.total, d.max, d.acquires, d.acquireSeconds,
		d.emptyAcquires, d.emptyWaitSeconds, d.canceled, d.newConns, d.lifetimeDestroys, d.idleDestroys} {
		ch <- desc
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s, d := p.pool.Stat(), poolDescs
	gauge := func(desc *prometheus.Desc, v int32) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(v))
	}
	counter := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v)
	}
	gauge(d.acquired, s.AcquiredConns())
	gauge(d.idle, s.IdleConns())
	gauge(d.constructing, s.ConstructingConns())
	gauge(d.total, s.TotalConns())
	gauge(d.max, s.MaxConns())
	counter(d.acquires, float64(s.AcquireCount()))
	counter(d.acquireSeconds, s.AcquireDuration().Seconds())
	counter(d.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(d.emptyWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
	counter(d.canceled, float64(s.CanceledAcquireCount()))
	counter(d.newConns, float64(s.NewConnsCount()))
	counter(d.lifetimeDestroys, float64(s.MaxLifetimeDestroyCount()))
	counter(d.idleDestroys, float64(s.MaxIdleDestroyCount()))
}
