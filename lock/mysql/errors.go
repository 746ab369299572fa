package mysqllock

import (
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// erNoSuchTable is MySQL's error number for a missing table.
const erNoSuchTable = 1146

// backend describes this backend to the SQL lock core.
func backend() *sqllock.Backend {
	return &sqllock.Backend{
		Name: "mysql", Package: "mysqllock", Handle: "db",
		MaxTableLen:  maxTableLen,
		MissingTable: missingTable,
		Polls:        true, // MySQL cannot notify clients of changes
	}
}

// missingTable reports whether err is MySQL's "table doesn't exist".
func missingTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == erNoSuchTable
}
