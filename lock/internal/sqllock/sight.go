package sqllock

import (
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// sight is what a Lock last saw of its row, so that a row deleted by hand
// under a holder does not let this candidate in before that holder has
// stepped down.
type sight struct {
	// rec is the record last seen, or the one kept for a vanished row.
	rec lock.Record
	// until is, for a held rec, the local instant its lease ends at the
	// earliest by this candidate's observation: the end of the read plus
	// the time the server said was left. For a vanished row, the instant
	// the row counts as held until.
	until time.Time
	// lease is the length of the held rec's lease, as the server computed it.
	lease time.Duration
	// vanished is set once the row was seen gone (missing, or back with a
	// lower term) while rec was held.
	vanished bool
}

// observe records row, read by a statement that returned at the local
// instant at, and returns the record this candidate must act on, with the
// time its lease has left.
//
// That is the row's own record, except when the last record seen was held
// by another candidate and the row is now missing or has a lower term: it
// was deleted by hand (and perhaps made again). Then the holder may still
// act until its next renewal, or until its local deadline if renewals
// hang; that deadline comes before the end of its latest lease, which
// started no later than the deletion, so no later than at. The row
// therefore counts as the record last seen, held, until at plus the
// length of its lease (or the end of the lease last seen, if later),
// measured on this candidate's clock from the first read that found it
// gone.
func (l *Lock) observe(row Row, at time.Time) (lock.Record, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.seen
	if s.heldByOther(l.identity) && row.Term < s.rec.Term {
		if !s.vanished {
			s.vanished = true
			lease := s.lease
			if lease <= 0 {
				lease = l.timing.LeaseDuration
			}
			if end := at.Add(lease); end.After(s.until) {
				s.until = end
			}
		}
		if left := s.until.Sub(at); left > 0 {
			return s.rec, left
		}
		// The deposed holder's lease has ended: the row is what it is.
	}
	rec := row.Record()
	*s = sight{rec: rec}
	if !rec.Free() {
		s.until, s.lease = at.Add(row.Remaining), row.Lease
	}
	return rec, row.Remaining
}

// floor returns the lowest term of a row that TryAcquire may take: the
// term of the record last seen when another candidate held it (a lower one
// means the row was deleted under that holder), else zero.
func (l *Lock) floor() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen.heldByOther(l.identity) {
		return l.seen.rec.Term
	}
	return 0
}

// acquired records this candidate's own acquisition as the record last seen.
func (l *Lock) acquired(term uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = sight{rec: lock.Record{Holder: l.identity, Term: term}}
}

// heldByOther reports whether s.rec is held by a candidate other than identity.
func (s *sight) heldByOther(identity string) bool {
	return !s.rec.Free() && s.rec.Holder != identity
}
