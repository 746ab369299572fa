# leaderkit: `make demo` runs the demo on the embedded default;
# `make test` sets up the real servers and runs every check.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export LEADERKIT_BIN := $(CURDIR)/.cache/bin

.PHONY: demo test setup lint unit bench bench-kube

demo:
	$(GO) run ./cmd/leaderkit demo

test: setup lint unit

setup:
	bash scripts/setup.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 -timeout 40m ./...

# Handover latency (p50, p99) of every backend on its real server.
bench: setup
	$(GO) test -run '^$$' -bench BenchmarkHandover -benchtime 200x ./lock/...

# leaderkit and client-go side by side on a real kube-apiserver (about 8 minutes).
bench-kube: setup
	$(GO) test -run '^$$' -bench BenchmarkVersusClientGo -benchtime 1x -timeout 30m ./bench/kubecompare/
