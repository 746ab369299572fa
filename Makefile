# leaderkit: `make demo` runs the demo on the embedded default;
# `make test` sets up the real servers and runs every check.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export LEADERKIT_BIN := $(CURDIR)/.cache/bin

.PHONY: demo test setup lint unit bench bench-kube sim chaos

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

# Deterministic simulation of the election core under faults: SIM_EPISODES
# episodes (100,000 by default) drawn from master seed SIM_SEED; a failing
# episode prints the seed that replays it. `make unit` runs a short version.
SIM_EPISODES ?= 100000
SIM_SEED     ?= 1
sim:
	$(GO) test -count=1 -timeout 30m -run 'TestSimulation$$' -v ./internal/sim -args -episodes=$(SIM_EPISODES) -master=$(SIM_SEED)

# Fault injection on every backend's real server (about 15 minutes): at least
# 1,000 episodes (1,210 planned), a table of violations and takeover times,
# and an HTML timeline of each violating episode and of one sample per
# backend in .cache/chaos/SEED/. CHAOS_SEED replays a run; CHAOS_ARGS passes
# more flags (see chaos/chaos_test.go), such as one episode's replay line
# from its episode.log: CHAOS_ARGS='-lanes=kube -backends=kube-lease
# -per-lane=1 -extra=0 -replay=SEED'.
CHAOS_SEED ?= $(shell date +%s)
CHAOS_ARGS ?=
chaos: setup
	$(GO) test -count=1 -timeout 45m -run '^TestChaos$$' -v ./chaos/ -args \
		-seed=$(CHAOS_SEED) -per-lane=30 -extra=1000 -deadline=25m \
		-out=$(CURDIR)/.cache/chaos/$(CHAOS_SEED) $(CHAOS_ARGS)
