package sqlstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkAuditAppend measures audit appends through a real service call
// that audits: organisation renames, each one transaction holding the change
// and its hash-chained entry. Eight writers rename one organisation (one
// chain: appends serialise on its head) or ten (ten chains). It reports
// entries/s; on SQLite every commit is an fsync (synchronous=FULL).
func BenchmarkAuditAppend(b *testing.B) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqlstore.DB
	}{{"sqlite", testdb.MustOpenSQLite}, {"postgres", testdb.MustOpenPostgres}} {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			orgs := sqlstore.NewOrganizationService(db)
			ctx := tandem.NewContextWithActor(b.Context(), tandem.SystemActor)
			var created, renamed atomic.Int64
			for _, n := range []int{1, 10} {
				b.Run(fmt.Sprintf("orgs=%d", n), func(b *testing.B) {
					ids := make([]int64, n)
					for i := range ids {
						org := &tandem.Organization{Name: fmt.Sprintf("Bench %d", created.Add(1))}
						if err := orgs.CreateOrganization(ctx, org); err != nil {
							b.Fatal(err)
						}
						ids[i] = org.ID
					}
					b.SetParallelism(4) // 4 × GOMAXPROCS writers
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							i := renamed.Add(1)
							name := fmt.Sprintf("Renamed %d", i)
							if _, err := orgs.UpdateOrganization(ctx, ids[int(i)%n], tandem.OrganizationUpdate{Name: &name}); err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.StopTimer()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
					if r, err := db.VerifyAudit(b.Context()); err != nil || !r.OK() {
						b.Fatalf("audit trail after the run: %v %v", r.BrokenChains(), err)
					}
				})
			}
		})
	}
}
