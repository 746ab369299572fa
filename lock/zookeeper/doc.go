// Package zklock is the ZooKeeper backend of leaderkit's lock contract,
// built on github.com/go-zookeeper/zk with the standard lock recipe.
//
// # Recipe
//
// The lock called name is the persistent znode <root>/<name> (root is
// [DefaultRoot] unless [WithRoot] says otherwise; missing znodes on the path
// are created). Each acquisition creates an ephemeral sequential child
// lock-<token>-<sequence> whose data is the candidate's identity; the token
// is random per attempt, so that a znode whose creation could not be
// confirmed (the connection broke before the reply) can be found and
// deleted. The child with the lowest sequence holds the lock.
//
// [Lock.TryAcquire] never waits: if its znode is not the lowest, it deletes
// it and returns a *lock.HeldError with the holder's record.
// [Lock.Acquire] (the [lock.Acquirer] that [lock.Acquire] uses) keeps its
// znode in the queue and watches only its predecessor, so a release wakes
// the next candidate alone, with no herd. [Lock.Wait] watches the holder's
// znode. Nothing polls.
//
// # Terms
//
// The term of an acquisition is the czxid of its znode: the zxid of the
// transaction that created it. Zxids grow with every write to the ensemble,
// across leader elections of the ensemble itself, and the holder is always
// the oldest znode of the queue, so every holder's term is greater than all
// earlier holders' terms. The sequence number would be strictly increasing
// too, but only per parent: it restarts at zero if the lock znode is deleted
// and created again, the zxid does not. Terms are therefore only lost with
// the ensemble's data itself. A free lock reports as its term the pzxid of
// the lock znode (the zxid of the latest change to the queue), which lies
// between the latest holder's term and the next one.
//
// # Sessions, loss and time
//
// Each Lock owns one connection and so its own session (the session is
// what ephemeral znodes belong to); it is opened on first use and ended by
// [Lock.Close]. The server judges expiry with its own clock: a session that
// the server has not heard from for the session timeout expires and its
// znodes are deleted, which hands the lock to the next candidate.
//
// A lease ends (Done closes, Err matches lock.ErrLost) when its znode is
// deleted or rewritten, when its session expires or the Lock is closed
// (Close ends the lease before it closes the session), and when it is in
// doubt: two thirds of the session timeout the server granted after the
// send of the latest request or ping that a server answered, judged by the
// holder's monotonic clock ([WithClock]; the client pings every third of
// the timeout). The server renews a session's timeout when it receives one
// of its requests, so it expires the session no earlier than the whole
// timeout after that send: the holder stops acting a third of the timeout
// before anyone else can take over, however late the answer arrives.
// Answers are credited with the time their request was sent, never with
// the time they arrive, and watch notifications, which answer nothing, are
// not credited at all. A lease ended in doubt whose session survives (the
// connection comes back in time) has its znode deleted as soon as the
// session is reachable, so that the queue moves on.
//
// # Same identity
//
// A Lock holds at most one lease at a time: a new acquisition through the
// same Lock takes over a lowest znode of the Lock's own session (an
// earlier acquisition, still held or lost in doubt), ending that lease
// before deleting its znode. A znode of another session is another
// holder's whatever identity it holds: since ZooKeeper deletes ephemeral
// znodes with their session, it belongs to a live session, and it is never
// deleted. A process restarted under the same identity, with a new
// session, therefore waits until the server expires its previous session
// (at most the session timeout) or that session is closed.
//
// # Guarantees
//
// Two holders at once are impossible as long as the holder's process is not
// paused for longer than that margin between its checks and its actions, and
// its clock runs at about the server's rate. A holder paused longer (a long
// GC pause, a stopped VM) can act after its session has expired: only the
// term, stamped on the holder's writes and checked by their receiver,
// protects against that. The same holds for an operator who deletes the
// holder's znode or closes its session: the next candidate takes over at
// once, while the holder learns of it only when the notification (or, for
// the session, its next reconnection) reaches it. Release deletes the lease's own znode only (its
// path is unique to the acquisition, and the delete is conditional on its
// version), so it never frees another holder's record.
//
// Errors of the server or of the connection are *lock.BackendError values;
// operations wait for a connection to a server of the ensemble for at most
// one round over the server list before failing with zk.ErrNoServer, and
// never longer than their context allows.
package zklock
