package storetest

import (
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor waits: long enough for a loaded machine,
// short enough that a condition that never holds fails the test soon.
const WaitTimeout = 10 * time.Second

// WaitFor polls cond until it holds, and fails t, naming what it waited
// for, when it has not within WaitTimeout. Tests wait for a condition this
// way, never by sleeping.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitWithin(t, WaitTimeout, what, cond)
}

// WaitWithin is WaitFor with a deadline of its own, for conditions whose
// time is set by the test (a lease to expire, a job to be retried).
func WaitWithin(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}
