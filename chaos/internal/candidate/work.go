package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// retryPolicy retries failed acquisitions after 100 ms, doubling up to
// 1 s: the harness wants a quick recovery after a server comes back.
func retryPolicy() schedule.Schedule[error] {
	return schedule.Union(schedule.Exponential[error](100*time.Millisecond, 2), schedule.Spaced[error](time.Second))
}

// newService returns the Service for l: leader for life on the
// create-based Kubernetes locks, lease-based elsewhere.
func newService(cfg wire.Config, l lock.Lock, log *slog.Logger) (election.Service, error) {
	opts := []election.Option{election.WithLogger(log), election.WithReleaseTimeout(3 * time.Second)}
	switch cfg.Backend {
	case "kube-configmap", "kube-leaderlock":
		return election.LiveLayer(retryPolicy(), opts...)(l)
	default:
		return election.Layer(retryPolicy(), opts...)(l)
	}
}

// campaign runs the guarded work each time the candidate leads, until ctx
// ends.
func campaign(ctx context.Context, svc election.Service, r *reporter, cfg wire.Config) error {
	_, err := election.Campaign(ctx, svc, func(ctx context.Context) (struct{}, error) {
		term, _ := election.TermFrom(ctx)
		r.event(wire.EventStart, term, wire.Now(), "")
		tick := time.NewTicker(cfg.WriteEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				r.event(wire.EventStop, term, wire.Now(), fmt.Sprint(context.Cause(ctx)))
				return struct{}{}, nil
			case <-tick.C:
				r.write(ctx, term)
			}
		}
	}, election.WithStepDownPause(0))
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// reporter sends writes and events to the fencing store.
type reporter struct {
	cfg    wire.Config
	client *http.Client
	log    *slog.Logger
}

func newReporter(cfg wire.Config, log *slog.Logger) *reporter {
	return &reporter{cfg: cfg, client: &http.Client{Timeout: 2 * time.Second}, log: log}
}

func (r *reporter) close() { r.client.CloseIdleConnections() }

// write sends one write of guarded work; ctx is the guarded context, so a
// write is not started once leadership is over.
func (r *reporter) write(ctx context.Context, term uint64) {
	status, err := r.post(ctx, wire.PathWrite, wire.Write{Episode: r.cfg.Episode, Candidate: r.cfg.Identity, Term: term})
	switch {
	case err != nil && ctx.Err() == nil:
		r.log.Warn("write failed", "term", term, "err", err)
	case status == http.StatusConflict:
		r.log.Warn("write refused as stale", "term", term)
	}
}

// event reports a start or stop; it runs on a fresh context, since the
// guarded one has ended by the time of a stop.
func (r *reporter) event(kind string, term uint64, at time.Duration, cause string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ev := wire.Event{Episode: r.cfg.Episode, Candidate: r.cfg.Identity, Kind: kind, Term: term, At: at, Cause: cause}
	if _, err := r.post(ctx, wire.PathEvent, ev); err != nil {
		r.log.Error("event not reported", "kind", kind, "term", term, "err", err)
	}
	r.log.Info("guarded work "+kind, "term", term, "cause", cause)
}

func (r *reporter) post(ctx context.Context, path string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.Store+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusConflict {
		return resp.StatusCode, errors.New(resp.Status)
	}
	return resp.StatusCode, nil
}
