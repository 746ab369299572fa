// Package memlock is an in-process leaderkit lock backend: candidates in one
// process share a [Store], which keeps one record per lock name.
//
// It implements the full lock contract, lease expiry included, and serves as
// the embedded default for demos and as a fast, deterministic backend for
// tests: time comes from an injectable clock ([WithClock]) and faults can be
// injected ([Store.Cut], [Store.Revoke], [WithInterceptor]).
//
// The store judges expiry by its own clock, as a database server would:
// a record expires LeaseDuration after its latest acquisition or renewal.
// A holder steps down at its local deadline, the start of its last
// successful renewal plus RenewDeadline, so it has stopped before anyone can
// take over. Waiters are woken by the store the moment a record changes or
// expires; nothing polls.
package memlock
