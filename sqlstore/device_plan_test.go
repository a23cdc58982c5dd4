package sqlstore

import (
	"path/filepath"
	"strings"
	"testing"
)

// Deleting a local check finds its rows on every device by an index, not
// by scanning every device's checks while holding the writer.
func TestDeletingACheckUsesAnIndex(t *testing.T) {
	ctx := t.Context()
	db, err := OpenSQLiteFile(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.write.QueryContext(ctx, `EXPLAIN QUERY PLAN DELETE FROM device_checks WHERE check_id = ?`, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "USING COVERING INDEX device_checks_check") && !strings.Contains(got, "USING INDEX device_checks_check") {
		t.Errorf("plan %q; want it to use the index device_checks_check", got)
	}
}
