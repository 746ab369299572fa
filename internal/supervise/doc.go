// Package supervise runs a command as a supervised process group for
// `leaderkit run`: the command runs only while a supervisor says so, and
// when it must stop, every process it started stops with it.
//
// # What it does
//
// [Supervisor.Start] starts the command in a process group of its own
// (Setpgid), so that one signal reaches the command and every process it
// forks. [Group.Stop] sends SIGTERM to the whole group at once, SIGKILL to
// the group when the grace period has passed, and returns only when no
// member of the group is left: waiting for the command alone would not do,
// since exec.Cmd.Wait returns when the command exits, not when its
// children do.
//
// A [Supervisor] also runs a watchdog: this same executable, started again
// (see [Init]) as a separate process outside the group and outside the
// supervisor's own process group. The supervisor sends it a heartbeat
// while a group runs. The watchdog SIGKILLs the group
//
//   - when the supervisor dies (SIGKILL, a crash): its end of the pipe
//     closes, the watchdog reads end of file;
//   - when the heartbeats stop for longer than the watchdog timeout (the
//     supervisor is stopped with SIGSTOP, or starved): a supervisor that
//     cannot run cannot stop the group when its leadership ends;
//   - when a stop's grace period has passed and the supervisor did not
//     confirm that the group is gone (it stalled while stopping).
//
// On Linux the command also gets a parent-death signal (SIGKILL) when the
// supervisor dies.
//
// # What it does not do
//
// A process group is the unit: a process that leaves the group (setsid,
// setpgid: a daemon that detaches) escapes every signal here. Run such
// commands in the foreground mode they offer.
//
// If the supervisor and its watchdog both die at once (both SIGKILLed, the
// OOM killer), the command itself still gets its parent-death signal on
// Linux, but its children, which are not the supervisor's children, run on
// as orphans until something else kills them. Inside a container whose
// entrypoint is the supervisor (PID 1 of its PID namespace), the kernel
// kills every process of the namespace when PID 1 dies, so nothing
// survives there. Outside Linux there is no parent-death signal.
//
// A process in uninterruptible sleep (state D, stuck on a dead NFS mount)
// does not die of SIGKILL until its system call returns; [Group.Stop]
// reports it when its context ends first.
//
// The command is started before the watchdog is told its process group:
// if the supervisor dies in between (a window of microseconds), only the
// parent-death signal stops the command.
//
// Signals go to a process group ID. After the group is gone that ID may
// in principle be given to a new process group; the supervisor disarms the
// watchdog as soon as it has seen the group gone, so the watchdog signals a
// stale ID only if it fires in that instant, and only after the whole
// range of process IDs has been used up in between.
package supervise
