package sqlstore_test

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// raci returns every area of the catalogue assigned the usual way: the
// provider Responsible and Accountable, the internal team Informed.
func raci(areas []*tandem.ServiceArea) []tandem.Assignment {
	var list []tandem.Assignment
	for _, a := range areas {
		list = append(list,
			tandem.Assignment{AreaID: a.ID, Party: tandem.PartyProvider, Responsible: true, Accountable: true},
			tandem.Assignment{AreaID: a.ID, Party: tandem.PartyInternal, Informed: true})
	}
	return list
}

func TestMatrixService(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		m := sqlstore.NewMatrixService(db)
		org := w.OrgA.ID

		areas, err := m.FindServiceAreas(as(t, w.ATech), org)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("DefaultCatalogue", func(t *testing.T) {
			if len(areas) != len(tandem.DefaultServiceAreas) {
				t.Fatalf("got %d areas, want %d", len(areas), len(tandem.DefaultServiceAreas))
			}
			for i, a := range areas {
				if a.Key != tandem.DefaultServiceAreas[i].Key || a.Position != i+1 || a.OrganizationID != org {
					t.Fatalf("area %d = %+v, want %s at position %d", i, a, tandem.DefaultServiceAreas[i].Key, i+1)
				}
			}
		})

		t.Run("OtherOrganizationNotFound", func(t *testing.T) {
			_, err := m.FindServiceAreas(as(t, w.BAdmin), org)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = m.ProposeMatrix(as(t, w.BAdmin), org, nil)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = m.SignMatrix(as(t, w.BAdmin), org, 1)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = m.MatrixGaps(as(t, w.BAdmin), org, 0)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("Areas", func(t *testing.T) {
			mark := auditMark(t, db)
			area := &tandem.ServiceArea{OrganizationID: org, Name: "Printers"}
			wantCode(t, m.CreateServiceArea(as(t, w.ATech), area), tandem.EFORBIDDEN)
			if err := m.CreateServiceArea(as(t, w.AAdmin), area); err != nil {
				t.Fatal(err)
			}
			if area.Key != "printers" || area.Position != len(areas)+1 {
				t.Fatalf("created %+v, want key printers at the end", area)
			}
			wantCode(t, m.CreateServiceArea(as(t, w.Admin), &tandem.ServiceArea{OrganizationID: org, Name: "Printers"}), tandem.ECONFLICT)
			name, pos := "Printers & scanners", 0
			got, err := m.UpdateServiceArea(as(t, w.Admin), org, area.ID, tandem.ServiceAreaUpdate{Name: &name, Position: &pos})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != name || got.Position != 0 {
				t.Fatalf("updated %+v", got)
			}
			_, err = m.UpdateServiceArea(as(t, w.AAdmin), org, areas[0].ID+100000, tandem.ServiceAreaUpdate{Name: &name})
			wantCode(t, err, tandem.ENOTFOUND)
			wantAudit(t, db, mark, "area.create", "area.update")
			areas, err = m.FindServiceAreas(as(t, w.ATech), org)
			if err != nil {
				t.Fatal(err)
			}
			if areas[0].ID != area.ID {
				t.Fatalf("first area = %s, want the one moved to position 0", areas[0].Key)
			}
		})

		t.Run("Validation", func(t *testing.T) {
			a := areas[0].ID
			tests := []struct {
				name string
				list []tandem.Assignment
			}{
				{"NoAccountable", []tandem.Assignment{{AreaID: a, Party: tandem.PartyProvider, Responsible: true}}},
				{"TwoAccountable", []tandem.Assignment{{AreaID: a, Party: tandem.PartyProvider, Responsible: true, Accountable: true}, {AreaID: a, Party: tandem.PartyInternal, Accountable: true}}},
				{"NoResponsible", []tandem.Assignment{{AreaID: a, Party: tandem.PartyProvider, Accountable: true}}},
				{"NoLetters", []tandem.Assignment{{AreaID: a, Party: tandem.PartyProvider, Responsible: true, Accountable: true}, {AreaID: a, Party: tandem.PartyInternal}}},
				{"Duplicate", []tandem.Assignment{{AreaID: a, Party: tandem.PartyProvider, Responsible: true, Accountable: true}, {AreaID: a, Party: tandem.PartyProvider, Informed: true}}},
				{"UnknownArea", []tandem.Assignment{{AreaID: -1, Party: tandem.PartyProvider, Responsible: true, Accountable: true}}},
				{"BadParty", []tandem.Assignment{{AreaID: a, Party: "vendor", Responsible: true, Accountable: true}}},
				{"PersonOfOtherParty", []tandem.Assignment{{AreaID: a, Party: tandem.PartyProvider, Responsible: true, Accountable: true, UserID: &w.AAdmin.ID}}},
				{"PersonOfOtherOrganization", []tandem.Assignment{{AreaID: a, Party: tandem.PartyInternal, Responsible: true, Accountable: true, UserID: &w.BAdmin.ID}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := m.ProposeMatrix(as(t, w.AAdmin), org, tt.list)
					wantCode(t, err, tandem.EINVALID)
				})
			}
			_, err := m.ProposeMatrix(as(t, w.ATech), org, nil)
			wantCode(t, err, tandem.EFORBIDDEN)
		})

		var v1, v2 *tandem.MatrixVersion
		t.Run("SignOff", func(t *testing.T) {
			list := raci(areas)
			list[0].UserID = &w.Tech.ID
			mark := auditMark(t, db)
			var err error
			if v1, err = m.ProposeMatrix(as(t, w.AAdmin), org, list); err != nil {
				t.Fatal(err)
			}
			if v1.Number != 1 || v1.Status != tandem.MatrixProposed {
				t.Fatalf("proposed %+v", v1)
			}
			_, err = m.FindMatrixVersion(as(t, w.ATech), org, 0)
			wantCode(t, err, tandem.ENOTFOUND)
			for _, u := range []*tandem.User{w.ATech, w.Tech, w.AViewer} {
				_, err = m.SignMatrix(as(t, u), org, 1)
				wantCode(t, err, tandem.EFORBIDDEN)
			}
			got, err := m.SignMatrix(as(t, w.AAdmin), org, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tandem.MatrixProposed || got.InternalSignedBy == nil || *got.InternalSignedBy != w.AAdmin.ID {
				t.Fatalf("after the internal signature: %+v", got)
			}
			_, err = m.SignMatrix(as(t, w.AAdmin), org, 1)
			wantCode(t, err, tandem.ECONFLICT)
			if got, err = m.SignMatrix(as(t, w.Admin), org, 1); err != nil {
				t.Fatal(err)
			}
			if got.Status != tandem.MatrixAccepted || got.AcceptedAt == nil {
				t.Fatalf("after both signatures: %+v", got)
			}
			wantAudit(t, db, mark, "matrix.propose", "matrix.sign", "matrix.sign", "matrix.accept")
			acc, err := m.FindMatrixVersion(as(t, w.ARequester), org, 0)
			if err != nil {
				t.Fatal(err)
			}
			if acc.Number != 1 || len(acc.Assignments) != len(list) || acc.Assignments[1].UserID == nil {
				t.Fatalf("accepted = %+v", acc)
			}
			if p, ok := acc.ResponsibleParty(areas[0].ID); !ok || p != tandem.PartyProvider {
				t.Fatalf("routes to %q, %v; want the provider", p, ok)
			}
		})

		t.Run("SupersedesAndDiff", func(t *testing.T) {
			list := raci(areas)
			// Area 1 shared, area 2 left open, area 3 internal.
			list[1].Responsible = false
			list[0].UserID = nil
			list[1] = tandem.Assignment{AreaID: areas[0].ID, Party: tandem.PartyInternal, Responsible: true}
			list = append(list[:2], list[4:]...)
			list[2] = tandem.Assignment{AreaID: areas[2].ID, Party: tandem.PartyInternal, Responsible: true, Accountable: true}
			list[3] = tandem.Assignment{AreaID: areas[2].ID, Party: tandem.PartyProvider, Consulted: true}
			var err error
			if v2, err = m.ProposeMatrix(as(t, w.Admin), org, list); err != nil {
				t.Fatal(err)
			}
			// A newer proposal withdraws this one.
			v3, err := m.ProposeMatrix(as(t, w.Admin), org, list)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.SignMatrix(as(t, w.Admin), org, v2.Number)
			wantCode(t, err, tandem.ECONFLICT)
			if _, err := m.SignMatrix(as(t, w.Admin), org, v3.Number); err != nil {
				t.Fatal(err)
			}
			if _, err := m.SignMatrix(as(t, w.AAdmin), org, v3.Number); err != nil {
				t.Fatal(err)
			}
			history, err := m.MatrixHistory(as(t, w.ATech), org)
			if err != nil {
				t.Fatal(err)
			}
			var statuses []tandem.MatrixStatus
			for _, h := range history {
				statuses = append(statuses, h.Status)
			}
			want := []tandem.MatrixStatus{tandem.MatrixAccepted, tandem.MatrixWithdrawn, tandem.MatrixSuperseded}
			if len(statuses) != 3 || statuses[0] != want[0] || statuses[1] != want[1] || statuses[2] != want[2] {
				t.Fatalf("statuses newest first = %v, want %v", statuses, want)
			}
			if len(history[2].Changes) != len(history[2].Assignments) {
				t.Fatalf("first version's changes = %d, want every assignment added", len(history[2].Changes))
			}
			changes := tandem.Diff(history[2], history[0])
			// Area 1: internal changed (I → R), provider lost its named person;
			// area 2: both removed; area 3: both changed.
			if len(changes) != 6 {
				t.Fatalf("diff = %+v, want 6 changes", changes)
			}

			report, err := m.MatrixGaps(as(t, w.AViewer), org, 0)
			if err != nil {
				t.Fatal(err)
			}
			if report.Version != v3.Number || len(report.Gaps) != 2 {
				t.Fatalf("gaps = %+v, want two in version %d", report, v3.Number)
			}
			shared, open := report.Gaps[0], report.Gaps[1]
			if shared.AreaID != areas[0].ID || shared.Kind != tandem.GapBothResponsible || shared.RoutesTo != tandem.PartyProvider {
				t.Fatalf("first gap = %+v, want area 1 shared, routed to the Accountable provider", shared)
			}
			if open.AreaID != areas[1].ID || open.Kind != tandem.GapNoOwner || open.RoutesTo != "" {
				t.Fatalf("second gap = %+v, want area 2 without an owner", open)
			}
		})

		t.Run("Withdraw", func(t *testing.T) {
			v, err := m.ProposeMatrix(as(t, w.AAdmin), org, nil)
			if err != nil {
				t.Fatal(err)
			}
			mark := auditMark(t, db)
			if _, err := m.WithdrawMatrix(as(t, w.AAdmin), org, v.Number); err != nil {
				t.Fatal(err)
			}
			_, err = m.WithdrawMatrix(as(t, w.AAdmin), org, v.Number)
			wantCode(t, err, tandem.ECONFLICT)
			wantAudit(t, db, mark, "matrix.withdraw")
		})

		t.Run("NoAcceptedVersion", func(t *testing.T) {
			report, err := m.MatrixGaps(as(t, w.BAdmin), w.OrgB.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if report.Version != 0 || len(report.Gaps) != len(tandem.DefaultServiceAreas) {
				t.Fatalf("gaps = %+v, want every area without an owner", report)
			}
		})
	})
}
