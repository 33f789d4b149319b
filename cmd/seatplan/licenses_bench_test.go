package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Load generator settings for the license refresh benchmark.
const (
	benchConns    = 64
	benchWarmUp   = 300 * time.Millisecond
	benchDuration = 3 * time.Second
	// benchActivations is enough first-time refreshes for the fresh
	// signing case, each of them a read and a signing.
	benchActivations = 30_000
)

// loadResult is what one run of the load generator measured.
type loadResult struct {
	requests int
	rate     float64 // requests per second
	p50, p99 time.Duration
}

func (r loadResult) report(b *testing.B) {
	b.ReportMetric(r.rate, "req/s")
	b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // one fixed-length run, not b.N operations
}

// generateLoad keeps benchConns connections busy with the requests next
// makes (nil: no more work) for benchDuration after a warm-up, expecting
// status want from each. With rate > 0 the connections together send rate
// requests per second on a fixed schedule. Latency counts from sending: on
// this shared 2-core machine timer wake-ups under load are late by
// milliseconds, which counting from the due time would attribute to the server.
// Each connection is a plain keep-alive TCP connection that writes a request
// and reads its response, like wrk: net/http's client spends two goroutine
// hand-offs per request, CPU the server under test would not get.
func generateLoad(b *testing.B, rate float64, want int, next func() *http.Request) loadResult {
	b.Helper()
	var measuring atomic.Bool
	var failed atomic.Value
	stop := make(chan struct{})
	latencies := make([][]time.Duration, benchConns)
	var wg sync.WaitGroup
	t0 := time.Now()
	var interval time.Duration // per connection
	if rate > 0 {
		interval = time.Duration(float64(benchConns) / rate * float64(time.Second))
	}
	for w := range benchConns {
		latencies[w] = make([]time.Duration, 0, 1<<16)
		wg.Go(func() {
			var conn net.Conn
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			var bw *bufio.Writer
			var br *bufio.Reader
			due := t0.Add(interval * time.Duration(w) / benchConns)
			for {
				select {
				case <-stop:
					return
				default:
				}
				req := next()
				if req == nil {
					return
				}
				if conn == nil {
					var err error
					if conn, err = net.Dial("tcp", req.URL.Host); err != nil {
						failed.Store(err.Error())
						return
					}
					bw, br = bufio.NewWriter(conn), bufio.NewReader(conn)
				}
				if interval > 0 {
					time.Sleep(time.Until(due))
					due = due.Add(interval)
				}
				start := time.Now()
				resp, err := roundTrip(bw, br, req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				if resp.StatusCode != want {
					failed.Store(fmt.Sprintf("status %d, want %d", resp.StatusCode, want))
					return
				}
				if measuring.Load() {
					latencies[w] = append(latencies[w], time.Since(start))
				}
			}
		})
	}
	time.Sleep(benchWarmUp)
	measuring.Store(true)
	began := time.Now()
	timer := time.AfterFunc(benchDuration, func() { close(stop) })
	wg.Wait()
	elapsed := time.Since(began)
	timer.Stop()
	if msg := failed.Load(); msg != nil {
		b.Fatalf("load: %v", msg)
	}
	all := slices.Concat(latencies...)
	if len(all) == 0 {
		b.Fatal("no requests measured")
	}
	slices.Sort(all)
	return loadResult{requests: len(all), rate: float64(len(all)) / elapsed.Seconds(),
		p50: all[len(all)*50/100], p99: all[len(all)*99/100]}
}

// BenchmarkLicenseRefresh measures the daily refresh against a real serve
// (in-process, over loopback TCP) at 64 connections, next to a bare
// net/http "hello" handler on its own listener in the same process and run.
func BenchmarkLicenseRefresh(b *testing.B) {
	getenv := testEnv(b)
	s := startServer(b, getenv, "-demo=false")
	pool, err := pgxpool.New(context.Background(), getenv("DATABASE_URL"))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	seedBenchActivations(b, pool)

	hello := startHello(b)
	helloRequest := func() *http.Request { req, _ := http.NewRequest("GET", hello, nil); return req }
	refresh := func(i int, etag string) *http.Request {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/activations/"+benchActivationID(i)+"/license", nil)
		req.Header.Set("Authorization", "Bearer secret-"+strconv.Itoa(i))
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		return req
	}
	// Activation 1 is the one refreshed over and over; its ETag is read once.
	resp, err := http.DefaultClient.Do(refresh(1, ""))
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("first refresh: %v %v", resp, err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")

	var helloRate float64
	b.Run("Hello", func(b *testing.B) {
		r := generateLoad(b, 0, http.StatusOK, helloRequest)
		helloRate = r.rate
		r.report(b)
	})
	notModified := func() *http.Request { return refresh(1, etag) }
	b.Run("NotModified", func(b *testing.B) {
		r := generateLoad(b, 0, http.StatusNotModified, notModified)
		r.report(b)
		if helloRate > 0 {
			b.ReportMetric(100*r.rate/helloRate, "%hello")
		}
	})
	// At full saturation 64 connections on 2 cores queue behind each other
	// (hello's own p99 is then tens of ms), so latency is also measured at
	// a fixed rate: a quarter of the hello handler's peak in this run.
	b.Run("HelloAtQuarterPeak", func(b *testing.B) {
		generateLoad(b, helloRate/4, http.StatusOK, helloRequest).report(b)
	})
	b.Run("NotModifiedAtQuarterHelloPeak", func(b *testing.B) {
		generateLoad(b, helloRate/4, http.StatusNotModified, notModified).report(b)
	})
	b.Run("OKCachedSignature", func(b *testing.B) {
		generateLoad(b, 0, http.StatusOK, func() *http.Request { return refresh(1, "") }).report(b)
	})
	b.Run("OKFreshSigning", func(b *testing.B) {
		// Each request is an activation's first: one read, one signing.
		var n atomic.Int64
		n.Store(1)
		generateLoad(b, 0, http.StatusOK, func() *http.Request {
			i := int(n.Add(1))
			if i > benchActivations {
				return nil
			}
			return refresh(i, "")
		}).report(b)
	})
}

// seedBenchActivations creates a plan with benchActivations licenses, each
// activated as act-N with the secret secret-N, in a few set-based statements.
// benchActivationID is the id seedBenchActivations gives activation i: a
// ULID in form, as the server reads no activation whose id is not one.
func benchActivationID(i int) string { return fmt.Sprintf("%026d", i) }

func seedBenchActivations(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO plans (id, name, seats, starts_at, expires_at) VALUES ('bench', 'Bench', $1, now(), now() + interval '1 year')`,
		`INSERT INTO licenses (plan_key, status, email, activation_key)
			SELECT key, 'activated', 'user' || i || '@example.edu', decode(md5('key-' || i), 'hex') FROM plans, generate_series(1, $1) i WHERE id = 'bench'`,
		`INSERT INTO activations (id, license_id, instance_id, secret_hash)
			SELECT lpad(n::text, 26, '0'), id, 'lms-' || n, sha256(convert_to('secret-' || n, 'UTF8'))
			FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM licenses WHERE plan_key = (SELECT key FROM plans WHERE id = 'bench')) l`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, benchActivations)
		}
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}

// roundTrip sends req on a kept-alive connection and reads its whole answer.
func roundTrip(bw *bufio.Writer, br *bufio.Reader, req *http.Request) (*http.Response, error) {
	if err := req.Write(bw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// startHello serves a bare "hello" handler the same way serve serves the
// application: net/http over a loopback TCP listener.
func startHello(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello\n")
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}
