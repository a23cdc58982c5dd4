package sqlstore

// ExecRaw runs a statement on the writer, bypassing every service, as someone
// with direct database access could. Tests use it to tamper with the audit
// trail and check that verification notices.
func ExecRaw(db *DB, q string, args ...any) error {
	_, err := db.write.Exec(db.rebind(q), args...)
	return err
}
