#!/usr/bin/env bash
# Builds the Consul server binary used by the integration tests from the
# separate tools module in tools/consul (never the library's go.mod).
#
# Output: <repo>/.cache/bin/consul-<version>/consul (git-ignored). The build
# is skipped when that file already exists, so the script is cheap to run
# before every test run. A cold build downloads ~3 minutes of modules and
# compiles for ~7 minutes on 2 cores; the Go build cache makes later builds
# fast.
set -euo pipefail

CONSUL_VERSION=v1.22.7

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
outdir="$root/.cache/bin/consul-$CONSUL_VERSION"
out="$outdir/consul"

if [[ -x "$out" ]]; then
	exit 0
fi

# The version pinned in tools/consul/go.mod must match the cache key.
if ! grep -Eq "^[[:space:]]*github.com/hashicorp/consul $CONSUL_VERSION( |$)" "$root/tools/consul/go.mod"; then
	echo "build-consul.sh: tools/consul/go.mod does not pin github.com/hashicorp/consul $CONSUL_VERSION" >&2
	exit 1
fi

mkdir -p "$outdir"
tmp="$(mktemp "$outdir/.consul.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "build-consul.sh: building consul $CONSUL_VERSION into $out (a cold build takes ~10 minutes)" >&2
(
	cd "$root/tools/consul"
	# GOWORK=off: a go.work at the root must not pull the tools module into
	# the library's build list or vice versa. -mod=readonly: never edit
	# go.mod/go.sum while building. CGO_ENABLED=0 as in Consul's releases.
	GOWORK=off CGO_ENABLED=0 \
		go build -mod=readonly -trimpath -o "$tmp" github.com/hashicorp/consul
)
"$tmp" version >/dev/null
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "build-consul.sh: built $out" >&2
