package leader

import (
	"context"
	"database/sql"
	"fmt"

	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// CreateMysqlLeaderSQL is the statement [CreateMysqlLeaderTable] runs, for
// database migrations that manage schemas themselves: lock/mysql's
// CREATE TABLE IF NOT EXISTS for its default table, leaderkit_locks (see
// mysqllock.CreateTableSQL for the columns; the package's tests check that
// the two are the same text). It replaces the original's leader_election
// table.
const CreateMysqlLeaderSQL = mysqllock.DefaultTableSQL

// CreateMysqlLeaderTable creates the lock table, leaderkit_locks, in db's
// current database unless it exists (see [CreateMysqlLeaderSQL]). It is
// safe to run at every start, but needs the CREATE privilege; services
// without it should run CreateMysqlLeaderSQL in a migration instead.
// Cancelling ctx abandons the statement. Unlike the original it takes a
// context.
func CreateMysqlLeaderTable(ctx context.Context, db *sql.DB) error {
	if err := mysqllock.CreateTable(ctx, db, mysqllock.DefaultTable); err != nil {
		return fmt.Errorf("leader: %w", err)
	}
	return nil
}
