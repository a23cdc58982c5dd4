package http_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

func TestAPI_Matrix(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		itAdminA := w.newMember(t, "it-admin@acme.test", tandem.RoleITAdmin, &w.orgA.ID, nil)
		base := fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID)

		var areas page[tandem.ServiceArea]
		w.itTechA.get(t, base+"/areas").want(t, http.StatusOK, &areas)
		if len(areas.Items) != len(tandem.DefaultServiceAreas) {
			t.Fatalf("got %d areas, want the default catalogue", len(areas.Items))
		}
		var area tandem.ServiceArea
		itAdminA.post(t, base+"/areas", map[string]any{"name": "Printers"}).want(t, http.StatusCreated, &area)
		itAdminA.patch(t, fmt.Sprintf("%s/areas/%d", base, area.ID), map[string]any{"name": "Printing"}).want(t, http.StatusOK, &area)
		if area.Name != "Printing" || area.Key != "printers" {
			t.Fatalf("area = %+v", area)
		}

		first := areas.Items[0].ID
		proposal := map[string]any{"assignments": []map[string]any{
			{"area_id": first, "party": "provider", "responsible": true, "accountable": true},
			{"area_id": first, "party": "internal", "responsible": true},
		}}
		w.itTechA.post(t, base+"/matrix/versions", proposal).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
		itAdminA.post(t, base+"/matrix/versions", map[string]any{"assignments": []map[string]any{{"area_id": first, "party": "provider", "responsible": true}}}).
			wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
		var v tandem.MatrixVersion
		itAdminA.post(t, base+"/matrix/versions", proposal).want(t, http.StatusCreated, &v)
		w.itTechA.get(t, base+"/matrix").wantError(t, http.StatusNotFound, tandem.ENOTFOUND)

		sign := fmt.Sprintf("%s/matrix/versions/%d/sign", base, v.Number)
		w.tech.post(t, sign, nil).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
		itAdminA.post(t, sign, nil).want(t, http.StatusOK, &v)
		itAdminA.post(t, sign, nil).wantError(t, http.StatusConflict, tandem.ECONFLICT)
		w.admin.post(t, sign, nil).want(t, http.StatusOK, &v)
		if v.Status != tandem.MatrixAccepted {
			t.Fatalf("status after both signatures = %s", v.Status)
		}

		var got tandem.MatrixVersion
		w.itTechA.get(t, base+"/matrix").want(t, http.StatusOK, &got)
		if got.Number != v.Number || len(got.Assignments) != 2 {
			t.Fatalf("accepted = %+v", got)
		}
		var history page[tandem.MatrixVersion]
		w.tech.get(t, base+"/matrix/versions").want(t, http.StatusOK, &history)
		if len(history.Items) != 1 || len(history.Items[0].Changes) != 2 {
			t.Fatalf("history = %+v", history.Items)
		}
		var gaps tandem.GapReport
		w.tech.get(t, base+"/matrix/gaps").want(t, http.StatusOK, &gaps)
		if gaps.Version != v.Number {
			t.Fatalf("gap report of version %d, want %d", gaps.Version, v.Number)
		}
		shared := 0
		for _, g := range gaps.Gaps {
			if g.Kind == tandem.GapBothResponsible {
				shared++
				if g.AreaID != first || g.RoutesTo != tandem.PartyProvider {
					t.Fatalf("shared gap = %+v, want the first area routed to the provider", g)
				}
			}
		}
		if shared != 1 || len(gaps.Gaps) != len(areas.Items)+1 {
			t.Fatalf("gaps = %+v, want one shared area and every other area without an owner", gaps.Gaps)
		}

		res := w.tech.get(t, base+"/matrix?format=csv")
		res.want(t, http.StatusOK, nil)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("Content-Type = %q", ct)
		}
		lines := strings.Split(strings.TrimSpace(string(res.Body)), "\n")
		if len(lines) != len(areas.Items)+2 || !strings.HasPrefix(lines[1], "1,end-user-support,End-user support,R,,RA,,provider") {
			t.Fatalf("csv = %s", res.Body)
		}

		w.itAdminB.get(t, base+"/matrix").wantError(t, http.StatusNotFound, tandem.ENOTFOUND)

		// A proposal nobody wants can be withdrawn; the accepted version stays.
		var next tandem.MatrixVersion
		itAdminA.post(t, base+"/matrix/versions", proposal).want(t, http.StatusCreated, &next)
		withdraw := fmt.Sprintf("%s/matrix/versions/%d/withdraw", base, next.Number)
		w.itTechA.post(t, withdraw, nil).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
		var withdrawn tandem.MatrixVersion
		itAdminA.post(t, withdraw, nil).want(t, http.StatusOK, &withdrawn)
		if withdrawn.Status != tandem.MatrixWithdrawn {
			t.Fatalf("withdrawn version has status %s", withdrawn.Status)
		}
		var accepted tandem.MatrixVersion
		w.itTechA.get(t, base+"/matrix").want(t, http.StatusOK, &accepted)
		if accepted.Number != v.Number || accepted.Status != tandem.MatrixAccepted {
			t.Fatalf("after a withdrawal the matrix is version %d (%s), want accepted version %d", accepted.Number, accepted.Status, v.Number)
		}
	})
}
