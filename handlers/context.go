// Package handlers adapts the outside world to the store: HTTP pages, the
// JSON API, and background job workers.
package handlers

import (
	"context"
	"log/slog"
	"sync"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/layout"
)

type ctxKey int

const (
	actorKey ctxKey = iota
	personKey
	flashesKey
	loggerKey
	requestKey
	clientAddressKey
)

// WithActor records who is making the request (set by the auth middleware).
func WithActor(ctx context.Context, a store.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// WithPerson records the signed-in person, for the pages to show; their
// actor is recorded with WithActor.
func WithPerson(ctx context.Context, p store.Person) context.Context {
	return context.WithValue(WithActor(ctx, p.Actor()), personKey, p)
}

// personFrom returns the signed-in person.
func personFrom(ctx context.Context) (store.Person, bool) {
	p, ok := ctx.Value(personKey).(store.Person)
	return p, ok
}

// ActorFrom returns who is making the request.
func ActorFrom(ctx context.Context) (store.Actor, bool) {
	a, ok := ctx.Value(actorKey).(store.Actor)
	return a, ok
}

// WithFlashes carries the one-shot messages popped from the session.
func WithFlashes(ctx context.Context, fs []layout.Flash) context.Context {
	return context.WithValue(ctx, flashesKey, fs)
}

func flashesFrom(ctx context.Context) []layout.Flash {
	fs, _ := ctx.Value(flashesKey).([]layout.Flash)
	return fs
}

// WithLogger carries the logger for work done under ctx.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, func() *slog.Logger { return l })
}

// WithRequestLogger carries the request's id, and a logger that names it,
// built only if something logs: most requests log nothing but their access
// line.
func WithRequestLogger(ctx context.Context, base *slog.Logger, requestID string) context.Context {
	return context.WithValue(ctx, requestKey, &requestScope{id: requestID, base: base})
}

// RequestIDKey is the attribute that names a request in log lines, and the
// field that names it in JSON error bodies: support finds one from the other.
const RequestIDKey = "request_id"

type requestScope struct {
	id     string
	base   *slog.Logger
	once   sync.Once
	logger *slog.Logger
}

func (rs *requestScope) log() *slog.Logger {
	rs.once.Do(func() { rs.logger = rs.base.With(RequestIDKey, rs.id) })
	return rs.logger
}

// RequestID is the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if rs, ok := ctx.Value(requestKey).(*requestScope); ok {
		return rs.id
	}
	return ""
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if rs, ok := ctx.Value(requestKey).(*requestScope); ok {
		return rs.log()
	}
	if l, ok := ctx.Value(loggerKey).(func() *slog.Logger); ok {
		return l()
	}
	return slog.Default()
}
