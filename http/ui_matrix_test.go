package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The responsibility-matrix pages without a browser: the grid, proposing
// through the form, signing by both parties, and the exports.
func TestMatrixPages(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
			t.Fatal(err)
		}
		itAdminA := w.newMember(t, "it-admin@acme.test", tandem.RoleITAdmin, &w.orgA.ID, nil)
		itAdmin, admin, itTech := sessionOf(t, s, itAdminA.User), sessionOf(t, s, w.admin.User), sessionOf(t, s, w.itTechA.User)
		base := "/orgs/" + w.orgA.Slug + "/matrix"
		areas, err := s.Services.Matrix.FindServiceAreas(testserver.SystemContext(), w.orgA.ID)
		if err != nil {
			t.Fatal(err)
		}
		a0, a1 := areas[0], areas[1]
		box := func(area *tandem.ServiceArea, party tandem.PartyKind, letter string) string {
			return fmt.Sprintf("a-%d-%s-%s", area.ID, party, letter)
		}
		versions := func(t *testing.T) []*tandem.MatrixVersion {
			t.Helper()
			list, err := s.Services.Matrix.MatrixHistory(testserver.SystemContext(), w.orgA.ID)
			if err != nil {
				t.Fatal(err)
			}
			return list
		}

		t.Run("EmptyMatrix", func(t *testing.T) {
			body := itAdmin.page(t, base, http.StatusOK)
			for _, want := range []string{`id="matrix-form"`, "No version is accepted yet.", `name="` + box(a0, tandem.PartyInternal, "R") + `"`, "no owner"} {
				if !strings.Contains(body, want) {
					t.Errorf("the matrix page lacks %s", want)
				}
			}
			if body := itAdmin.page(t, "/orgs/"+w.orgA.Slug, http.StatusOK); !strings.Contains(body, `href="`+base+`"`) {
				t.Error("the organisation page does not link to the matrix")
			}
		})

		t.Run("ErrTwoAccountable", func(t *testing.T) {
			form := url.Values{box(a0, tandem.PartyInternal, "R"): {"on"}, box(a0, tandem.PartyInternal, "A"): {"on"}, box(a0, tandem.PartyProvider, "A"): {"on"}}
			body := itAdmin.post(t, base, form, http.StatusUnprocessableEntity, "")
			if !strings.Contains(body, "needs exactly one Accountable party") {
				t.Errorf("the page does not show the validation error:\n%.3000s", body)
			}
			if !strings.Contains(body, `name="`+box(a0, tandem.PartyProvider, "A")+`" value="on" aria-label="A for provider on `+a0.Name+`" checked`) {
				t.Error("the form does not keep the submitted boxes")
			}
			if n := len(versions(t)); n != 0 {
				t.Errorf("%d versions after a refused proposal, want 0", n)
			}
		})

		t.Run("Propose", func(t *testing.T) {
			form := url.Values{
				box(a0, tandem.PartyInternal, "R"): {"on"}, box(a0, tandem.PartyInternal, "A"): {"on"}, box(a0, tandem.PartyProvider, "C"): {"on"},
				box(a1, tandem.PartyProvider, "R"): {"on"}, box(a1, tandem.PartyProvider, "A"): {"on"}, box(a1, tandem.PartyInternal, "I"): {"on"},
			}
			body := itAdmin.post(t, base, form, http.StatusOK, "")
			for _, want := range []string{"Version 1 proposed", "awaiting internal signature", "awaiting provider signature", "Sign for internal", `class="letters proposed internal changed">RA<`} {
				if !strings.Contains(body, want) {
					t.Errorf("the page after proposing lacks %s", want)
				}
			}
			list := versions(t)
			if len(list) != 1 || list[0].Status != tandem.MatrixProposed || len(list[0].Assignments) != 4 {
				t.Fatalf("versions after proposing: %+v", list)
			}
		})

		t.Run("TechnicianCannotEdit", func(t *testing.T) {
			body := itTech.page(t, base, http.StatusOK)
			if strings.Contains(body, `id="matrix-form"`) || strings.Contains(body, "Sign for") {
				t.Error("an it-technician is offered the proposal form or a signature")
			}
			itTech.post(t, base, url.Values{box(a0, tandem.PartyInternal, "R"): {"on"}, box(a0, tandem.PartyInternal, "A"): {"on"}}, http.StatusForbidden, "")
			itTech.post(t, base+"/versions/1/sign", url.Values{}, http.StatusForbidden, "")
			if list := versions(t); len(list) != 1 || list[0].InternalSignedBy != nil {
				t.Errorf("refused calls changed the matrix: %+v", list)
			}
		})

		t.Run("BothSign", func(t *testing.T) {
			body := itAdmin.post(t, base+"/versions/1/sign", url.Values{}, http.StatusOK, "")
			if !strings.Contains(body, "awaiting provider signature") || strings.Contains(body, "awaiting internal signature") {
				t.Errorf("after the internal signature the page does not await the provider only")
			}
			itAdmin.post(t, base+"/versions/1/sign", url.Values{}, http.StatusConflict, "")
			body = admin.post(t, base+"/versions/1/sign", url.Values{}, http.StatusOK, "")
			if !strings.Contains(body, "Version 1 is accepted") {
				t.Error("the provider's signature does not say the version is accepted")
			}
			body = itTech.page(t, base, http.StatusOK)
			for _, want := range []string{"Accepted version: v1.", `class="letters accepted internal">RA<`, `class="letters accepted provider">C<`, `class="letters accepted provider">RA<`, `class="status">accepted<`} {
				if !strings.Contains(body, want) {
					t.Errorf("the accepted matrix lacks %s", want)
				}
			}
		})

		t.Run("Exports", func(t *testing.T) {
			status, body, header := itTech.do(t, http.MethodGet, base+".csv", nil)
			if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: status %d, type %q", status, header.Get("Content-Type"))
			}
			if !strings.Contains(body, "1,"+a0.Key+","+a0.Name+",RA,,C,,internal") {
				t.Errorf("CSV lacks the accepted row of %s:\n%s", a0.Key, body)
			}
			// Both signers are named for every reader: the signatures are
			// recorded as they were made, so an internal user's printed
			// appendix names the provider's signer too.
			for _, reader := range []browserless{itTech, admin} {
				body = reader.page(t, base+"/print", http.StatusOK)
				for _, want := range []string{w.orgA.Name, "Version 1 · accepted <time datetime=", "Signed by it-admin@acme.test", "Signed by admin@msp.test", `class="letters internal">RA<`, "<dt>A Accountable</dt>"} {
					if !strings.Contains(body, want) {
						t.Errorf("the printable view lacks %s", want)
					}
				}
				// The acceptance and both signatures, in the reader's zone.
				if n := strings.Count(body, "<time datetime="); n != 3 {
					t.Errorf("the printable view shows %d times through when, want 3", n)
				}
			}
		})

		// A version that only names another person for the same letters
		// says so in the history rather than showing "RA → RA" unexplained.
		t.Run("HistoryNamesPersonChange", func(t *testing.T) {
			list := versions(t)[0].Assignments
			for i := range list {
				if list[i].AreaID == a0.ID && list[i].Party == tandem.PartyInternal {
					list[i].UserID = &itAdminA.User.ID
				}
			}
			if _, err := s.Services.Matrix.ProposeMatrix(tandem.NewContextWithActor(t.Context(), actorFor(itAdminA.User)), w.orgA.ID, list); err != nil {
				t.Fatal(err)
			}
			body := itTech.page(t, base, http.StatusOK)
			want := `<li class="change" data-area="` + a0.Key + `"><span class="area">` + a0.Name + `</span> — <span class="party-change">Internal IT: <span class="letters">RA</span> → <span class="letters">RA</span> (another person named)</span></li>`
			if !strings.Contains(body, want) {
				t.Errorf("the history lacks %s", want)
			}
		})
	})
}
