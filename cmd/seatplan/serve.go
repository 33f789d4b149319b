package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/web"
	"github.com/seatplan/seatplan/web/metrics"
)

// shutdownTimeout is how long a stopping server waits for requests in
// flight and for its job workers before it stops anyway.
const shutdownTimeout = 15 * time.Second

func serveCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parse("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if err := cfg.requireServeKeys(); err != nil {
		return err // before openStore, so a refused start migrates nothing
	}
	log := cfg.logger(stderr)
	st, db, err := openStore(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	// Counted from the start, before anything takes a lock.
	m := metrics.New(st.Pool())
	st.Locks = m

	if cfg.Demo && !cfg.production() {
		if n, err := st.CountPeople(ctx); err != nil {
			return err
		} else if n == 0 {
			logins, err := st.LoadDemo(ctx)
			if err != nil {
				return fmt.Errorf("load demo data: %w", err)
			}
			printLogins(stdout, logins)
		}
	}

	hashKey, blockKey, err := cfg.sessionKeys()
	if err != nil {
		return err
	}
	st.Throttle = cfg.SignIn
	if st.Throttle.Key, err = cfg.throttleKey(); err != nil {
		return err
	}
	trusted, _ := web.ParseTrustedProxies(cfg.TrustedProxies) // validated with the config
	var hsts time.Duration
	if cfg.production() {
		hsts = cfg.HSTSMaxAge
	}
	keyring, err := cfg.keyring()
	if err != nil {
		return err
	}
	licenses := handlers.NewLicenseCache(st, keyring)
	licenses.ReportTo(m)
	licensesCtx, stopLicenses := context.WithCancel(handlers.WithLogger(context.WithoutCancel(ctx), log))
	licensesDone := make(chan struct{})
	go func() { defer close(licensesDone); licenses.Run(licensesCtx) }()
	// Stopped after the HTTP server, so the last refresh times are written.
	defer func() { stopLicenses(); <-licensesDone }()

	jobs, err := web.NewJobClient(st, log, cfg.LeaseTTL, m)
	if err != nil {
		return err
	}
	if err := jobs.Start(ctx); err != nil {
		return fmt.Errorf("start job workers: %w", err)
	}
	rescueCtx, stopRescue := context.WithCancel(handlers.WithLogger(context.WithoutCancel(ctx), log))
	rescueDone := make(chan struct{})
	go func() {
		defer close(rescueDone)
		handlers.RescueInterruptedJobs(rescueCtx, st, jobs, web.RescueEvery(cfg.LeaseTTL))
	}()
	defer func() { stopRescue(); <-rescueDone }()
	// Stop the workers before the pool closes (deferred earlier, runs later);
	// a job still running after the timeout is cancelled and retried elsewhere.
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := jobs.Stop(stopCtx); err != nil {
			log.Warn("job workers did not stop in time", "err", err)
		}
	}()
	handler := web.NewServer(web.Deps{
		Store: st, Logger: log, TokenTTL: cfg.TokenTTL,
		Sessions: web.NewSessions(hashKey, blockKey, cfg.production()),
		Keyring:  keyring, Licenses: licenses,
		Jobs: jobs, LeaseTTL: cfg.LeaseTTL,
		Lists:   web.ListLimits{MaxBytes: cfg.MaxUploadBytes, MaxEntries: cfg.MaxListEntries},
		Metrics: m, MetricsToken: cfg.MetricsToken,
		TrustedProxies: trusted, HSTSMaxAge: hsts,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "Seatplan listening on http://%s\n", ln.Addr())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
