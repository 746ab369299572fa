// Package chans holds channel helpers that more than one package of the
// module needs.
package chans

// SendDropOldest sends v on ch without blocking: when ch's buffer is full,
// it drops the oldest buffered value to make room. ch must be buffered and
// have no other sender; a reader that takes values meanwhile only makes
// room sooner, so the loop ends after at most one drop.
func SendDropOldest[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}
