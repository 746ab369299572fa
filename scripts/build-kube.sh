#!/usr/bin/env bash
# build-kube.sh builds the Kubernetes control-plane binaries used by the test
# suite (kube-apiserver, kube-controller-manager) from the Go modules pinned in
# tools/kube/go.mod, into .cache/bin/kube-<version>/ (or $LEADERKIT_BIN/kube-<version>/).
#
# It is idempotent: a binary that already exists is not rebuilt. Binaries are
# built into a temporary directory and moved into place, so an interrupted
# build never leaves a truncated binary behind. A cold build takes ~12-15 min
# on 2 cores; later builds reuse the Go build cache.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
moddir="$root/tools/kube"
cd "$moddir"

version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
if [[ ! "$version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
	echo "build-kube: unexpected k8s.io/kubernetes version '$version' in $moddir/go.mod" >&2
	exit 1
fi
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"

bindir="${LEADERKIT_BIN:-$root/.cache/bin}"
out="$bindir/kube-$version"
mkdir -p "$out"

# Serialise concurrent invocations (e.g. two test runs starting at once).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$out/.lock"
	if ! flock -n 9; then
		echo "build-kube: another build holds $out/.lock; waiting"
		flock 9
	fi
fi

cmds=(kube-apiserver kube-controller-manager)
missing=()
for cmd in "${cmds[@]}"; do
	if [[ -x "$out/$cmd" ]]; then
		echo "build-kube: $out/$cmd exists, skipping"
	else
		missing+=("$cmd")
	fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi

pkgs=()
for cmd in "${missing[@]}"; do
	pkgs+=("k8s.io/kubernetes/cmd/$cmd")
done

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The same version stamps the Kubernetes release build sets (hack/lib/version.sh),
# so that /version reports the real release instead of v0.0.0-master.
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean"
done

echo "build-kube: building ${missing[*]} $version into $out (cold build: ~12-15 min on 2 cores)"
start=$SECONDS
# CGO_ENABLED=0 matches the upstream release build of these server binaries.
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}"
for cmd in "${missing[@]}"; do
	mv -f "$tmp/$cmd" "$out/$cmd"
	echo "build-kube: built $out/$cmd ($(du -h "$out/$cmd" | cut -f1))"
done
echo "build-kube: done in $((SECONDS - start))s"
