package mysqllock_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock/sqltest"
	"github.com/leaderkit/leaderkit/lock/locktest"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// DefaultTableSQL is the statement CreateTableSQL makes for DefaultTable.
func TestDefaultTableSQL(t *testing.T) {
	want, err := mysqllock.CreateTableSQL(mysqllock.DefaultTable)
	if err != nil || mysqllock.DefaultTableSQL != want {
		t.Fatalf("DefaultTableSQL = %q, want %q (%v)", mysqllock.DefaultTableSQL, want, err)
	}
}

func TestConformance(t *testing.T) {
	// The candidates share a Client, as the Locks of one process on one
	// database should, so that a release wakes a waiter at once.
	locktest.Run(t, harness().Conformance(t, sqltest.FastTiming(), "UPDATE leaderkit_locks SET holder = '' WHERE name = ?"))
}

// A release made by another process (here, a bare UPDATE that wakes
// nobody) is seen at the waiter's next read, within one retry period and
// long before the lease would expire.
func TestWaitReadsAgainEachRetryPeriod(t *testing.T) {
	ctx, name, h := sqltest.Context(t), sqltest.UniqueName(t), harness()
	c := h.MustClient(t)
	holder := h.MustLock(t, c, name, "holder", mysqllock.WithTiming(sqltest.SlowRetry()))
	waiterTiming := lock.Timing{LeaseDuration: 6 * time.Second, RenewDeadline: 4 * time.Second, RetryPeriod: time.Second}
	waiter := h.MustLock(t, c, name, "waiter", mysqllock.WithTiming(waiterTiming))
	lease, err := holder.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locktest.Release(t, lease)
	done := make(chan error, 1)
	go func() { done <- waiter.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
	time.Sleep(200 * time.Millisecond) // let the waiter read the row and sleep
	freed := time.Now()
	h.MustExec(t, "UPDATE leaderkit_locks SET holder = '' WHERE name = ?", name)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(freed); waited > waiterTiming.RetryPeriod+2*time.Second {
		t.Errorf("Wait returned %v after the release, want within about one retry period (%v)", waited, waiterTiming.RetryPeriod)
	}
}

// Wake-ups stay within a Client: a waiter sleeping on its clock (a fake
// one here, so that only a wake-up or an advance of that clock can end its
// sleep) is woken by a release through a Lock of its own Client, but not
// by one through another Client, which it sees at its next read, one
// RetryPeriod later.
func TestWakeUpsStayWithinAClient(t *testing.T) {
	for _, sameClient := range []bool{true, false} {
		t.Run(fmt.Sprintf("same client %v", sameClient), func(t *testing.T) {
			ctx, name, h := sqltest.Context(t), sqltest.UniqueName(t), harness()
			waiterClient, holderClient := h.MustClient(t), h.MustClient(t)
			if sameClient {
				holderClient = waiterClient
			}
			clock := clockwork.NewFakeClock()
			holder := h.MustLock(t, holderClient, name, "holder", mysqllock.WithTiming(sqltest.SlowRetry()))
			waiter := h.MustLock(t, waiterClient, name, "waiter", mysqllock.WithTiming(sqltest.SlowRetry()), mysqllock.WithClock(clock))
			lease, err := holder.TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- waiter.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
			if err := clock.BlockUntilContext(ctx, 1); err != nil { // the waiter read the row and sleeps
				t.Fatal(err)
			}
			locktest.Release(t, lease)
			select {
			case err := <-done:
				if !sameClient {
					t.Fatalf("Wait = %v before its next read: woken by another Client's release", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				return
			case <-time.After(time.Second):
				if sameClient {
					t.Fatal("Wait not woken by the release through its own Client")
				}
			}
			clock.Advance(sqltest.SlowRetry().RetryPeriod) // the next read
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
