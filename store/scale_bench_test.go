package store

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store/emaillist"
)

// BenchmarkMillionSeatPlan measures a plan of 1,000,000 seats end to end in
// the store: creating it (one row: licenses are made at assignment),
// assigning 1,000,000 addresses (the list stored in chunks, then the job's
// batches of inserts), revoking 100,000 at once, and streaming every license
// as CSV. Targets: assignment ≤ 12 s and ≤ 200 MB RSS; export
// ≥ 200,000 rows/s with flat memory. RSS is this process's (the list is held
// in memory as a server holds it), its growth over the assignment reported
// separately from the Go heap the export needed.
func BenchmarkMillionSeatPlan(b *testing.B) {
	const seats, revoke = 1_000_000, 100_000
	s := newTestStore(b)
	ctx := context.Background()
	for b.Loop() {
		start := time.Now()
		p, err := s.CreatePlan(ctx, NewPlan{Name: "Million " + NewID(), Seats: seats}, SystemActor)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-create")

		addresses := make([]string, seats)
		for i := range addresses {
			addresses[i] = fmt.Sprintf("learner%07d@example.com", i)
		}
		rssBefore := processRSS(b)
		start = time.Now()
		res, err := s.AssignNow(ctx, p.ID, emaillist.Emails{Addresses: addresses, Entries: seats}, SystemActor)
		if err != nil || res.Assigned != seats {
			b.Fatalf("assign: %+v %v", res, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-assign-1M")
		b.ReportMetric(float64(processPeakRSS(b))/1024, "peak-RSS-MB")
		b.ReportMetric(float64(processPeakRSS(b)-rssBefore)/1024, "RSS-growth-during-assign-MB")

		start = time.Now()
		n, err := s.RevokeLicenses(ctx, p.ID, addresses[:revoke], SystemActor)
		if err != nil || n != revoke {
			b.Fatalf("revoke: %d %v", n, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-revoke-100k")
		addresses = nil

		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start = time.Now()
		rows := 0
		w := csv.NewWriter(io.Discard)
		if err := s.EachLicense(ctx, p.ID, LicenseFilter{}, func(l License) error {
			rows++
			return w.Write([]string{strconv.FormatInt(l.ID, 10), l.Email, string(l.Status), l.ActivationKey})
		}); err != nil {
			b.Fatal(err)
		}
		w.Flush()
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(rows)/took.Seconds(), "export-rows/s")
		b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-after-export-MB")
		b.ReportMetric(float64(before.HeapInuse)/(1<<20), "heap-before-export-MB")
		if c := checkSeatInvariants(b, s, p.ID); c.Counts.Revoked != revoke {
			b.Errorf("counts after the run: %+v", c.Counts)
		}
	}
}

// processRSS and processPeakRSS read this process's resident set (VmRSS)
// and its peak (VmHWM), in KiB.
func processRSS(b *testing.B) int     { return procStatus(b, "VmRSS:") }
func processPeakRSS(b *testing.B) int { return procStatus(b, "VmHWM:") }

func procStatus(b *testing.B, field string) int {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// BenchmarkRevokeList100k revokes 100,000 addresses as the plan page does:
// the list accepted (stored with the job), then the job's batches of
// listChunk, each reporting progress.
func BenchmarkRevokeList100k(b *testing.B) {
	const n = 100_000
	s := newTestStore(b)
	ctx := context.Background()
	addresses := make([]string, n)
	for i := range addresses {
		addresses[i] = fmt.Sprintf("learner%07d@example.com", i)
	}
	list := emaillist.Emails{Addresses: addresses, Entries: n}
	for b.Loop() {
		p, err := s.CreatePlan(ctx, NewPlan{Name: "Revoke " + NewID(), Seats: n}, SystemActor)
		if err != nil {
			b.Fatal(err)
		}
		if res, err := s.AssignNow(ctx, p.ID, list, SystemActor); err != nil || res.Assigned != n {
			b.Fatalf("assign: %+v %v", res, err)
		}
		start := time.Now()
		job, err := s.RevokeList(ctx, p.ID, list, SystemActor, time.Minute, noQueue)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-accept-100k")
		start = time.Now()
		if res, err := runRevocation(b, s, job.ID); err != nil || res.Revoked != n {
			b.Fatalf("revoke: %+v %v", res, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-revoke-100k-job")
		if c := checkSeatInvariants(b, s, p.ID); c.Counts.Revoked != n || c.Counts.Unassigned != n {
			b.Errorf("counts after the run: %+v", c.Counts)
		}
	}
}
