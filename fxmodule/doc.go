// Package fxmodule wires leaderkit into a go.uber.org/fx application:
//
//	fx.New(
//		fxmodule.Module,
//		fx.Provide(kubernetesClient, contextInfo), // a kubernetes.Interface and a kubelock.ContextInfo
//		fx.Provide(election.LeaseLock("my-job", 15*time.Second, 10*time.Second, 2*time.Second)),
//		fxmodule.RunAsLeader(func(ctx context.Context) (struct{}, error) { ... }),
//	).Run()
//
// Any layer that provides an election.Service works in place of LeaseLock.
// [Module] provides a [*Status] that reports whether this process leads,
// and stops reporting it the moment leadership ends. [RunAsLeader] starts
// campaigning when the application starts, runs the effect whenever this
// process leads, campaigns again after each loss of leadership (of a
// Temporary or a leader-for-life Live service alike), and on application stop cancels the effect, waits for it to
// return and releases leadership before OnStop returns. When the effect
// finishes on its own the application is shut down: with exit code 0 if it
// returned a result, 1 if it failed.
//
// Constructors start no goroutines; only the lifecycle hooks do.
package fxmodule
