package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
)

// LicenseSigner signs license documents and names them; *licensing.Keyring
// is the real one, tests count signings through their own.
type LicenseSigner interface {
	Sign(licensing.Claims) (string, error)
	ETag(licenseID string, changedAt time.Time) string
	JWKS() licensing.JWKS
}

type licenseSource interface {
	ActivationLicenseByID(ctx context.Context, id string) (store.ActivationLicense, error)
	RecordActivationRefreshes(ctx context.Context, seen map[string]time.Time) error
	WatchLicenseChanges(ctx context.Context, l store.LicenseChangeListener)
}

// How long what the cache knows may be trusted without asking the database.
const (
	// recheckWhileDeaf bounds staleness while the listening connection is
	// down: every process serves a change within about a second even then.
	recheckWhileDeaf = time.Second
	// maxTrust re-reads an entry now and then even while listening, in case
	// the connection died without anyone noticing; it also bounds how long
	// an idle entry stays in memory.
	maxTrust = 10 * time.Minute
	// flushEvery is how often refresh times are written, in one statement.
	flushEvery = 5 * time.Second
	// outageRecheck is how often, while the database cannot be reached,
	// a refresh tries it again instead of answering from memory: once it is
	// back, changes made meanwhile are served within about a second.
	outageRecheck = time.Second
)

// LicenseCache is one server process's memory of activations, so the daily
// "has my license changed?" question is answered without the database and
// without signing. Triggers NOTIFY every change of a plan's licenses (see
// store.LicenseChangedChannel); the cache listens and forgets what a change
// made stale. While it cannot listen, it re-reads anything older than a
// second. Documents are signed once per version of a license.
type LicenseCache struct {
	st     licenseSource
	signer LicenseSigner
	now    func() time.Time
	log    *slog.Logger
	obs    LicenseObserver

	mu sync.RWMutex
	// gen counts changes heard; an entry remembers the gen before its read,
	// and is stale once its plan (or everything) changed at a later gen.
	gen         uint64
	resyncGen   uint64            // gen of the last (re)connection: anything read before may be stale
	planChanged map[string]uint64 // plan id → gen of its last change
	listening   bool
	entries     map[string]*licenseEntry  // by activation id
	docs        map[string]*signedLicense // by activation id: the last document signed
	// unreachableUntil: the last read found the database unreachable, so
	// until then refreshes answer from memory without trying it.
	unreachableUntil time.Time

	signing singleflight.Group // by activation id and changed_at
	loading singleflight.Group // by activation id

	seenMu sync.Mutex
	seen   map[string]time.Time // activation id → last refresh, not yet written

	// unknown remembers ids the database did not know, until when, so a
	// flood of refreshes with one made-up id costs one read, not one each.
	unknownMu sync.Mutex
	unknown   map[string]time.Time
}

// Remembering unknown ids is safe: ids are random ULIDs made by the
// server, so an id no one was given cannot become an activation later.
// The map is bounded by starting over when full.
const (
	unknownFor    = time.Minute
	maxUnknownIDs = 10_000
)

// licenseEntry is what the database said about an activation; immutable.
type licenseEntry struct {
	lic        store.ActivationLicense
	etag       string
	readGen    uint64
	verifiedAt time.Time // when the read started
}

// signedLicense is one signed version of an activation's license.
type signedLicense struct {
	claims licensing.Claims // claims.ChangedAt names the version
	jws    string
}

// NewLicenseCache returns a cache over st signing with signer. It works
// without Run, re-reading every second; Run makes it listen for changes.
func NewLicenseCache(st licenseSource, signer LicenseSigner) *LicenseCache {
	return &LicenseCache{
		st: st, signer: signer, now: time.Now, log: slog.Default(), obs: unobserved{},
		gen: 1, resyncGen: 1,
		planChanged: map[string]uint64{},
		entries:     map[string]*licenseEntry{},
		docs:        map[string]*signedLicense{},
		seen:        map[string]time.Time{},
		unknown:     map[string]time.Time{},
	}
}

// LicenseObserver hears how refreshes and the cache fare, for metrics.
type LicenseObserver interface {
	// Refreshed reports one refresh's outcome: one of the Refresh… values.
	Refreshed(outcome string)
	// CacheLookup reports whether a refresh found its activation in
	// memory: one of the Cache… values.
	CacheLookup(result string)
	// ListenerUp reports the listening connection coming up or going down.
	ListenerUp(up bool)
	// Notified reports one change notification heard.
	Notified()
}

// Outcomes of a refresh: the license, "not modified", refused (unknown
// activation or wrong secret: the instance's problem) or failed (the
// server's).
const (
	RefreshOK          = "200"
	RefreshNotModified = "304"
	RefreshRefused     = "refused"
	RefreshFailed      = "error"
)

// What a refresh found in the cache: a trusted entry, nothing it could
// trust (so it read the database), or an entry kept for a database outage.
const (
	CacheHit    = "hit"
	CacheMiss   = "miss"
	CacheOutage = "outage"
)

type unobserved struct{}

func (unobserved) Refreshed(string)   {}
func (unobserved) CacheLookup(string) {}
func (unobserved) ListenerUp(bool)    {}
func (unobserved) Notified()          {}

// ReportTo makes the cache report to o; call it before Run and before
// serving.
func (c *LicenseCache) ReportTo(o LicenseObserver) { c.obs = o }

// knownUnknown reports whether id cannot be an activation: not of the form
// the server makes, or recently not found.
func (c *LicenseCache) knownUnknown(id string) bool {
	if !store.IsID(id) {
		return true
	}
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	until, ok := c.unknown[id]
	return ok && c.now().Before(until)
}

func (c *LicenseCache) rememberUnknown(id string) {
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	if len(c.unknown) >= maxUnknownIDs {
		clear(c.unknown)
	}
	c.unknown[id] = c.now().Add(unknownFor)
}

// Run listens for license changes and writes refresh times until ctx ends,
// then writes the last ones.
func (c *LicenseCache) Run(ctx context.Context) {
	c.log = loggerFrom(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.st.WatchLicenseChanges(ctx, cacheListener{c})
	}()
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			c.flush(ctx)
			c.sweep()
		case <-ctx.Done():
			<-watched
			c.stoppedListening() // a stopped cache hears nothing
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			c.flush(final)
			return
		}
	}
}

// cacheListener keeps the listener methods out of LicenseCache's API.
type cacheListener struct{ c *LicenseCache }

func (l cacheListener) Listening() {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.resyncGen = c.gen // notifications may have been missed: trust nothing read before
	c.listening = true
	c.obs.ListenerUp(true)
}

func (l cacheListener) PlanChanged(planID string) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.planChanged[planID] = c.gen
	c.obs.Notified()
}

func (l cacheListener) Deaf(err error) {
	c := l.c
	c.stoppedListening()
	c.log.Warn("not listening for license changes; re-reading licenses every second", "err", err)
}

func (c *LicenseCache) stoppedListening() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listening {
		c.listening = false
		c.obs.ListenerUp(false)
	}
}

// Listening reports whether the cache currently hears license changes
// (readiness, and tests wait for it); while it does not, it re-reads every
// second. A server without a cache hears nothing.
func (c *LicenseCache) Listening() bool {
	if c == nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.listening
}

// fresh returns the cached entry for an activation if it can be trusted.
func (c *LicenseCache) fresh(id string) *licenseEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[id]
	if e == nil || e.readGen < c.resyncGen || e.readGen < c.planChanged[e.lic.PlanID] {
		return nil
	}
	age := c.now().Sub(e.verifiedAt)
	if age > maxTrust || (!c.listening && age > recheckWhileDeaf) {
		return nil
	}
	return e
}

// entry returns what is known of an activation, from memory when it can be
// trusted, else from one read that concurrent requests share. While the
// database cannot be reached it answers from memory however old the entry
// is: an instance keeps refreshing the license it had through an outage.
func (c *LicenseCache) entry(ctx context.Context, id string) (*licenseEntry, error) {
	if e := c.fresh(id); e != nil {
		c.obs.CacheLookup(CacheHit)
		return e, nil
	}
	if e := c.duringOutage(id); e != nil {
		c.obs.CacheLookup(CacheOutage)
		return e, nil
	}
	if c.knownUnknown(id) {
		return nil, store.ErrUnknownActivation
	}
	c.obs.CacheLookup(CacheMiss)
	v, err, _ := c.loading.Do(id, func() (any, error) {
		// The read is shared, so no one caller's cancellation ends it.
		readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		mark := c.beforeRead()
		lic, err := c.st.ActivationLicenseByID(readCtx, id)
		if errors.Is(err, store.ErrUnknownActivation) {
			c.rememberUnknown(id)
		}
		if err != nil {
			return nil, err
		}
		return c.remember(mark, lic), nil
	})
	if err != nil {
		if !store.Unreachable(err) {
			return nil, err
		}
		c.mu.Lock()
		c.unreachableUntil = c.now().Add(outageRecheck)
		known := c.entries[id]
		c.mu.Unlock()
		if known == nil {
			return nil, err
		}
		return known, nil
	}
	return v.(*licenseEntry), nil
}

// duringOutage returns the remembered entry while a recent read found the
// database unreachable, so refreshes do not each wait on a connection
// attempt meanwhile.
func (c *LicenseCache) duringOutage(id string) *licenseEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.now().Before(c.unreachableUntil) {
		return c.entries[id]
	}
	return nil
}

// readMark is taken before reading an activation, so that a change heard
// while the read was under way makes its result stale.
type readMark struct {
	gen uint64
	at  time.Time
}

func (c *LicenseCache) beforeRead() readMark {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return readMark{gen: c.gen, at: c.now()}
}

// remember caches what a read that started at mark returned.
func (c *LicenseCache) remember(mark readMark, lic store.ActivationLicense) *licenseEntry {
	e := &licenseEntry{lic: lic, etag: c.signer.ETag(lic.LicenseKey(), lic.ChangedAt), readGen: mark.gen, verifiedAt: mark.at}
	c.mu.Lock()
	c.entries[lic.ActivationID] = e
	c.mu.Unlock()
	return e
}

// document returns the signed license of lic's version, signing it only if
// no document of that version exists. Concurrent callers for one version
// share one signing; other activations never wait for it.
func (c *LicenseCache) document(lic store.ActivationLicense) (*signedLicense, error) {
	cached := func() *signedLicense {
		c.mu.RLock()
		defer c.mu.RUnlock()
		if d := c.docs[lic.ActivationID]; d != nil && d.claims.ChangedAt.Equal(lic.ChangedAt) {
			return d
		}
		return nil
	}
	if d := cached(); d != nil {
		return d, nil
	}
	key := lic.ActivationID + "@" + strconv.FormatInt(lic.ChangedAt.UnixNano(), 10)
	v, err, _ := c.signing.Do(key, func() (any, error) {
		// Checked again: a signing of this version may have just finished.
		if d := cached(); d != nil {
			return d, nil
		}
		claims := licensing.Claims{
			LicenseID: lic.LicenseKey(), PlanID: lic.PlanID, PlanName: lic.PlanName, Seats: lic.Seats,
			Status: string(lic.Status), Email: lic.Email, InstanceID: lic.InstanceID,
			ExpiresAt: lic.ExpiresAt, ChangedAt: lic.ChangedAt, IssuedAt: c.now(),
		}
		jws, err := c.signer.Sign(claims)
		if err != nil {
			return nil, err
		}
		d := &signedLicense{claims: claims, jws: jws}
		c.mu.Lock()
		if old := c.docs[lic.ActivationID]; old == nil || !old.claims.ChangedAt.After(d.claims.ChangedAt) {
			c.docs[lic.ActivationID] = d
		}
		c.mu.Unlock()
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*signedLicense), nil
}

// sawRefresh notes that an activation fetched its license; flush writes it.
func (c *LicenseCache) sawRefresh(id string) {
	now := c.now()
	c.seenMu.Lock()
	c.seen[id] = now
	c.seenMu.Unlock()
}

// flush writes the refresh times noted since the last flush; on failure
// they are kept for the next one.
func (c *LicenseCache) flush(ctx context.Context) {
	c.seenMu.Lock()
	batch := c.seen
	c.seen = map[string]time.Time{}
	c.seenMu.Unlock()
	if err := c.st.RecordActivationRefreshes(ctx, batch); err != nil {
		c.log.Warn("record license refresh times", "err", err, "activations", len(batch))
		c.seenMu.Lock()
		for id, at := range batch {
			if at.After(c.seen[id]) {
				c.seen[id] = at
			}
		}
		c.seenMu.Unlock()
	}
}

// sweep forgets entries too old to be trusted, and their documents, so the
// cache holds only recently active instances. It keeps them all while the
// database is away: they are what refreshes are answered from meanwhile.
func (c *LicenseCache) sweep() {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening {
		return
	}
	for id, e := range c.entries {
		if now.Sub(e.verifiedAt) > maxTrust {
			delete(c.entries, id)
			delete(c.docs, id)
		}
	}
}
