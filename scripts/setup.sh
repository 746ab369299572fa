#!/usr/bin/env bash
# Installs and builds everything the test suite's real servers need, once:
# Debian packages (MariaDB, ZooKeeper, PostgreSQL), then Consul and the
# Kubernetes control plane built from Go modules into .cache/bin.
# Each step is idempotent and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/install-debs.sh
for build in scripts/build-consul.sh scripts/build-kube.sh; do
	[ -f "$build" ] && bash "$build"
done
echo "setup: done in $(( $(date +%s) - started ))s"
