//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/health"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/metrics"
)

// shutdownTimeout bounds how long the --listen server waits for requests
// in flight when the sidecar exits, before it closes their connections.
const shutdownTimeout = 5 * time.Second

// statusServer is the HTTP server of --listen: /healthz, /readyz, /leader
// and /metrics about this sidecar's campaign. It learns of the campaign
// through the hooks of [statusServer.hooks].
type statusServer struct {
	ln      net.Listener
	srv     *http.Server
	served  chan struct{} // closed when Serve has returned
	checker *health.Checker
	metrics *metrics.Election
	ready   func(*http.Request) error

	mu sync.Mutex
	// view is what /leader answers: the latest holder seen, when it was
	// first seen, and whether this process acts as leader.
	view leaderView
}

// leaderView is the JSON of /leader.
type leaderView struct {
	// Holder is the identity holding the lock, "" when it is free or
	// before the first look.
	Holder string `json:"holder"`
	// Term is the holder's fencing term (for a free lock, see lock.Record).
	Term uint64 `json:"term"`
	// Since is when this process first saw Holder in Term, on its own
	// clock: when it began to lead, for itself; when its observer
	// reported the record, for another holder or a free lock. Absent
	// before the first look.
	Since *time.Time `json:"since,omitempty"`
	// Self is true while this process acts as leader (its /readyz under
	// --ready-when-leader passes exactly then).
	Self bool `json:"self"`
	// Identity is this process's identity.
	Identity string `json:"identity"`
}

// listen opens addr for --listen; a bad or busy address is a usage error
// naming the flag.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError{&lock.ConfigError{Field: "--listen", Value: addr, Rule: fmt.Sprintf("must be an address this process can listen on (%v)", err)}}
	}
	return ln, nil
}

// newStatusServer returns the server of --listen on ln for identity's
// campaign on the lock called name with timing t. Liveness tolerates
// t.RenewDeadline beyond t.LeaseDuration (see health.New); readiness is
// health.Checker.Ready under readyWhenLeader and always passes otherwise.
func newStatusServer(ln net.Listener, name, identity string, t lock.Timing, readyWhenLeader bool) (*statusServer, error) {
	checker, err := health.New(t.LeaseDuration, t.RenewDeadline)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering runtime metrics: %w", err)
		}
	}
	m, err := metrics.New(reg, name, identity)
	if err != nil {
		return nil, err
	}
	s := &statusServer{ln: ln, served: make(chan struct{}), checker: checker, metrics: m,
		ready: func(*http.Request) error { return nil }, view: leaderView{Identity: identity}}
	if readyWhenLeader {
		s.ready = checker.Ready
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", check(checker.Check, http.StatusInternalServerError))
	mux.HandleFunc("GET /readyz", check(s.ready, http.StatusServiceUnavailable))
	mux.HandleFunc("GET /leader", s.leader)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// check serves a probe: 200 "ok", or failCode with the check's error.
func check(f func(*http.Request) error, failCode int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := f(r); err != nil {
			w.WriteHeader(failCode)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	}
}

func (s *statusServer) leader(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	v := s.view
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// start serves until stop; it logs the address it listens on.
func (s *statusServer) start(log *slog.Logger) {
	log.Info("listening on "+s.ln.Addr().String(), "endpoints", "/healthz /readyz /leader /metrics")
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("--listen server stopped", "err", err)
		}
	}()
}

// stop shuts the server down: it waits up to shutdownTimeout for requests
// in flight, closes what is left, and returns once Serve has returned.
func (s *statusServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.served
}

// hooks returns the campaign hooks that feed the server: the health
// checker's, the metrics', and those of /leader.
func (s *statusServer) hooks() []election.Hooks {
	return []election.Hooks{s.checker.Hooks(), s.metrics.Hooks(), {
		StartedLeading:  s.startedLeading,
		StoppingLeading: s.stoppingLeading,
		NewLeader:       s.newLeader,
	}}
}

func (s *statusServer) startedLeading(l election.Leadership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seeLocked(lock.Record{Holder: l.Identity, Term: l.Term})
	s.view.Self = true
}

func (s *statusServer) stoppingLeading(election.Leadership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.view.Self = false
}

// newLeader follows the observer. While this process acts as leader its
// own term stands, unless the observer reports a later one: an observer
// that lags behind the campaign must not show an older holder.
func (s *statusServer) newLeader(rec lock.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view.Self && rec.Term <= s.view.Term {
		return
	}
	s.seeLocked(rec)
}

// seeLocked records rec as the current holder, from now if it is new.
func (s *statusServer) seeLocked(rec lock.Record) {
	if s.view.Since != nil && rec.Holder == s.view.Holder && rec.Term == s.view.Term {
		return
	}
	now := time.Now()
	s.view.Holder, s.view.Term, s.view.Since = rec.Holder, rec.Term, &now
}
