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
// mysqllock.CreateTableSQL for the columns). It is lock/mysql's own text,
// so it cannot drift from the queries. It replaces the original's
// leader_election table; unlike the original's it is a variable, not a
// constant, and must not be assigned to.
var CreateMysqlLeaderSQL = createSQL()

func createSQL() string {
	// DefaultTable matches the table-name rule, so this cannot fail; the
	// package's tests check the statement.
	stmt, _ := mysqllock.CreateTableSQL(mysqllock.DefaultTable)
	return stmt
}

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
