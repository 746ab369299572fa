package memory_test

import "github.com/jonboulle/clockwork"

func clockworkFake() *clockwork.FakeClock { return clockwork.NewFakeClock() }
