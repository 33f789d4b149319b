package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/web/metrics"
)

// requestIDHeader names a request in both directions: a load balancer's id
// is kept, and every answer carries the one its log lines name.
const requestIDHeader = "X-Request-Id"

// maxRequestID bounds a kept request id: room for a UUID or a trace id.
const maxRequestID = 128

// saneRequestID accepts a client's id only when it is a short token that
// cannot forge a log line or a header: letters, digits and - _ . :
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// quiet marks a route that machines ask all the time (probes, scrapes, the
// pages' own assets): its access lines are debug, so an info log shows what
// people did.
func quiet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := r.Context().Value(routeKey{}).(*statusRecorder); ok {
			rec.quiet = true
		}
		next.ServeHTTP(w, r)
	})
}

// observe names every request (X-Request-Id, kept from the client when
// sane), gives its handlers a logger that names it, writes its access line,
// and counts it in m (when set) by the route pattern that served it, never
// its path.
func observe(logger *slog.Logger, m *metrics.Metrics) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get(requestIDHeader)
			if !saneRequestID(id) {
				id = ulid.Make().String()
			}
			w.Header().Set(requestIDHeader, id)
			rec := &statusRecorder{ResponseWriter: w}
			ctx := handlers.WithRequestLogger(context.WithValue(r.Context(), routeKey{}, rec), logger, id)
			next.ServeHTTP(rec, r.WithContext(ctx))
			took := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			pattern := rec.route()
			if m != nil {
				m.ObserveRequest(pattern, r.Method, status, took)
			}
			level := slog.LevelInfo
			if rec.quiet {
				level = slog.LevelDebug
			}
			logger.LogAttrs(ctx, level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", pattern), slog.Int("status", status), slog.Int("bytes", rec.bytes),
				slog.Duration("duration", took))
		})
	}
}

// routeKey finds a request's statusRecorder in its context, where routed
// leaves the pattern the mux chose (the mux sets it on the request it was
// given, a copy that observe never sees) and quiet its mark.
type routeKey struct{}

// route is the label of the pattern that served the request.
func (s *statusRecorder) route() string {
	switch s.pattern {
	case "":
		return metrics.RouteNone
	case "/":
		return metrics.RouteUnmatched
	}
	return s.pattern
}

// routed runs mux and reports the pattern it chose (even when the handler
// panics) to observe.
func routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if rec, ok := r.Context().Value(routeKey{}).(*statusRecorder); ok {
				rec.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// statusRecorder sees what a request was answered, and by which route.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	bytes   int
	pattern string
	quiet   bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (flush, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// namingRequests is a slog handler that adds the request id found in a
// record's context, so a line logged with the request's context names it
// whichever logger wrote it. Loggers that already carry the id (the one
// handlers get) are left as they are.
type namingRequests struct {
	slog.Handler
	named bool
}

func withRequestIDs(h slog.Handler) slog.Handler {
	if _, already := h.(namingRequests); already {
		return h // a logger shared by two servers names each request once
	}
	return namingRequests{Handler: h}
}

func (n namingRequests) Handle(ctx context.Context, rec slog.Record) error {
	if !n.named {
		if id := handlers.RequestID(ctx); id != "" {
			rec.AddAttrs(slog.String(handlers.RequestIDKey, id))
		}
	}
	return n.Handler.Handle(ctx, rec)
}

func (n namingRequests) WithAttrs(attrs []slog.Attr) slog.Handler {
	named := n.named
	for _, a := range attrs {
		named = named || a.Key == handlers.RequestIDKey
	}
	return namingRequests{Handler: n.Handler.WithAttrs(attrs), named: named}
}

func (n namingRequests) WithGroup(name string) slog.Handler {
	return namingRequests{Handler: n.Handler.WithGroup(name), named: n.named}
}
