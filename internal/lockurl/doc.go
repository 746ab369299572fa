// Package lockurl opens a leaderkit lock named by a URL, for the command
// line: one scheme per backend, the timing as options, and one cheap
// request to tell at once whether the server answers.
//
// # Schemes
//
//	kube://NAMESPACE/NAME[?kubeconfig=PATH]
//	    The coordination.k8s.io Lease NAME in NAMESPACE (package kubelock).
//	    The client's configuration is the kubeconfig file PATH if given,
//	    else the in-cluster configuration (in a Pod), else the kubeconfig
//	    of KUBECONFIG or ~/.kube/config, with its current context.
//	etcd://[USER[:PASSWORD]@]HOST[:PORT][,HOST[:PORT]...]/NAME
//	    The etcd lock NAME (package etcdlock, keys under /leaderkit/NAME),
//	    through the listed endpoints (plain HTTP; default port 2379). NAME
//	    must not contain "/".
//	consul://HOST[:PORT]/NAME
//	    The Consul lock NAME (package consullock, key leaderkit/NAME),
//	    through the agent's HTTP API (default port 8500). Consul's
//	    environment variables (CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL, ...)
//	    apply, except CONSUL_HTTP_ADDR.
//	zk://HOST[:PORT][,HOST[:PORT]...]/PATH
//	    The ZooKeeper lock whose znode is PATH (package zklock: the last
//	    segment of PATH is the name, the rest the root; default port 2181).
//	postgres://... or postgresql://...?lock=NAME[&table=TABLE]
//	    The PostgreSQL lock NAME (package pglock) in TABLE (default
//	    leaderkit_locks). The URL is a pgx connection URL: every other
//	    parameter, and PG* environment variables, are pgx's.
//	mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE?lock=NAME[&table=TABLE]
//	    The MySQL lock NAME (package mysqllock) in TABLE (default
//	    leaderkit_locks) of DATABASE (default port 3306). Every other
//	    parameter is one of go-sql-driver/mysql's DSN parameters (tls,
//	    timeout, ...); the URL is turned into the driver's DSN,
//	    USER:PASSWORD@tcp(HOST:PORT)/DATABASE?PARAMS.
//
// Schemes are case-insensitive; user names, passwords and names are
// percent-decoded. Open refuses a parameter a scheme does not know, so
// that a misspelt one is not silently ignored. The SQL lock tables are
// created (CREATE TABLE IF NOT EXISTS) by Open when its first read finds
// them missing; that needs the permission to create tables.
//
// # Timing
//
// Each backend keeps its own defaults and validation; the options map to
// its own options, and Open refuses those that do not apply:
//
//	option             kube  postgres  mysql  etcd  consul  zk
//	WithLeaseDuration   ✓       ✓       ✓
//	WithRenewDeadline   ✓       ✓       ✓
//	WithRetryPeriod     ✓       ✓       ✓
//	WithTTL                                     ✓     ✓     ✓
//
// [Opened.Timing] is the timing in force, defaults included.
//
// # Errors
//
// A URL that is wrong (syntax, unknown scheme, missing name, unknown
// parameter), an option that does not apply and a value the backend
// refuses are *URLError values matching [ErrUsage], reported before any
// I/O. A server that cannot be reached or refuses the identity is reported
// by the error of Open's first request.
package lockurl
