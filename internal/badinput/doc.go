// Package badinput holds only tests: one table of bad inputs given to the
// public constructors, layers, options and endpoints of leaderkit, from
// every package a user calls (election, schedule, fxmodule, lock and each
// backend under lock/, compat/...).
//
// The inputs are zero, negative and inverted durations; empty, over-long
// and invalid names (Kubernetes object names, ZooKeeper znodes, SQL
// tables); nil clients, options, loggers, clocks and callbacks; invalid
// schedules; and, against the real servers of internal/testserver,
// unreachable endpoints, wrong credentials in a client configuration or
// DSN, missing tables and custom resources, and a Kubernetes user without
// RBAC permissions. Each row asserts that the input is refused with an
// error matching a documented sentinel or type (lock.ErrInvalidConfig and
// *lock.ConfigError, lock.ErrBackend and *lock.BackendError,
// *schedule.ArgError, and the sentinels of lock/kube), that the message
// names the field (or the object and operation) and the rule, that nothing
// panics, and that no server holds a lock record afterwards.
package badinput
