package fxmodule

import "go.uber.org/fx"

// Module provides a [*Status] and is required by [RunAsLeader].
var Module = fx.Module("leaderkit", fx.Provide(NewStatus))
