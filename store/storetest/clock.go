package storetest

import (
	"sync"
	"time"
)

// Clock is a clock a test moves by hand. Given to a store (st.Now =
// clock.Now), it is the clock of the store's leases and job liveness too,
// so a test travels past an expiry instead of waiting it out.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at the real time, so what the database
// stamps with its own time stays close to it.
func NewClock() *Clock { return &Clock{now: time.Now()} }

// Now is the clock's time; it moves only by Advance.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
