package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// An it-admin opens the matrix from the organisation page, ticks letters,
// proposes, and sees the proposal await the provider's signature once they
// have signed it.
func TestBrowserMatrixPropose(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	areas, err := s.Services.Matrix.FindServiceAreas(testserver.SystemContext(), acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, s, "ida@acme.example")

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#matrix-link")))
	browsertest.WaitPath(t, ctx, "/orgs/"+acme.Slug+"/matrix")
	for _, name := range []string{"internal-R", "internal-A", "provider-I"} {
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#matrix-form input[name="a-%d-%s"]`, areas[0].ID, name))))
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#matrix-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".sign-form") !== null`, "the proposal to appear")
	if got := browsertest.Text(t, ctx, fmt.Sprintf(`#matrix tr[data-area=%q] td.proposed.internal`, areas[0].Key)); got != "RA" {
		t.Errorf("proposed internal letters = %q, want RA", got)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(".sign-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".sign-form") === null`, "the signature to be recorded")
	if got := browsertest.Text(t, ctx, "#matrix-awaiting"); !strings.Contains(got, "awaiting provider signature") || strings.Contains(got, "internal") {
		t.Errorf("proposal status = %q, want it awaiting the provider only", got)
	}
	if errs := browsertest.TakeErrors(t, ctx); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// matrixHistoryFixture gives Acme three versions: v1 accepted then
// superseded by v2, which moves end-user support from the internal team to
// the provider, and v3, an open proposal, all proposed by the it-admin
// ida@acme.example. It returns the organisation and its areas.
func matrixHistoryFixture(t *testing.T, s *testserver.Server) (*tandem.Organization, []*tandem.ServiceArea) {
	t.Helper()
	if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
		t.Fatal(err)
	}
	acme := s.MustCreateOrganization(t, "Acme Corp")
	ida := s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	pat := s.MustCreateUser(t, &tandem.User{Name: "Pat Provider", Email: "pat@northwind.example", Role: tandem.RoleAdmin}, uiPassword)
	areas, err := s.Services.Matrix.FindServiceAreas(testserver.SystemContext(), acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	internal, provider := tandem.NewContextWithActor(t.Context(), actorFor(ida)), tandem.NewContextWithActor(t.Context(), actorFor(pat))
	// version assigns every area to the provider (RA) with the internal team
	// Informed, except the areas given: internal and provider letters.
	version := func(except map[int64][2]string) []tandem.Assignment {
		var list []tandem.Assignment
		for _, a := range areas {
			letters, ok := except[a.ID]
			if !ok {
				letters = [2]string{"I", "RA"}
			}
			for i, party := range []tandem.PartyKind{tandem.PartyInternal, tandem.PartyProvider} {
				as := tandem.Assignment{AreaID: a.ID, Party: party}
				as.Responsible, as.Accountable = strings.Contains(letters[i], "R"), strings.Contains(letters[i], "A")
				as.Consulted, as.Informed = strings.Contains(letters[i], "C"), strings.Contains(letters[i], "I")
				list = append(list, as)
			}
		}
		return list
	}
	for _, except := range []map[int64][2]string{
		{areas[0].ID: {"RA", "C"}},
		{areas[0].ID: {"C", "RA"}},
		{areas[0].ID: {"C", "RA"}, areas[1].ID: {"R", "AC"}},
	} {
		v, err := s.Services.Matrix.ProposeMatrix(internal, acme.ID, version(except))
		if err != nil {
			t.Fatal(err)
		}
		if v.Number == 3 {
			break // the open proposal
		}
		for _, ctx := range []context.Context{internal, provider} {
			if _, err := s.Services.Matrix.SignMatrix(ctx, acme.ID, v.Number); err != nil {
				t.Fatal(err)
			}
		}
	}
	return acme, areas
}

// matrixBoxes is the layout of one party's R/A/C/I boxes on one row of the
// proposal grid, and of that party's column header.
type matrixBoxes struct {
	HeadLeft, HeadRight float64   // the party's header cell
	Lefts, Rights, Tops []float64 // each box, R, A, C, I
}

// On a phone and on a wide screen, the proposal grid shows two party
// columns with each party's four boxes inside its own column (they once
// stacked under Internal IT and left Provider empty), the legend explains
// the letters, the history reads as a list of changes per version, and
// nothing widens the page.
func TestBrowserMatrixLayout(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme, areas := matrixHistoryFixture(t, s)
	browserLogin(t, ctx, s, "ida@acme.example")

	for _, width := range []int64{1400, 390} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			browsertest.Do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug+"/matrix"))
			browsertest.WaitFor(t, ctx, `document.querySelector("#matrix-form") !== null`, "the matrix page")

			if got := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#matrix-form thead th")].map(th => th.textContent.trim())`); len(got) != 3 || got[1] != "Internal IT" || got[2] != "Provider" {
				t.Fatalf("proposal grid headers = %q, want the service area and two party columns", got)
			}
			for _, area := range areas[:2] {
				row := fmt.Sprintf(`#matrix-form tr[data-area=%q]`, area.Key)
				cols := browsertest.Eval[int](t, ctx, `document.querySelectorAll('`+row+` > td').length`)
				if cols != 3 {
					t.Errorf("%s: %d cells, want the area and one per party", area.Key, cols)
				}
				boxes := map[tandem.PartyKind]matrixBoxes{}
				for i, party := range []tandem.PartyKind{tandem.PartyInternal, tandem.PartyProvider} {
					b := browsertest.Eval[matrixBoxes](t, ctx, fmt.Sprintf(`(() => {
						const head = document.querySelectorAll("#matrix-form thead th")[%d].getBoundingClientRect();
						const boxes = ["R", "A", "C", "I"].map(l => document.querySelector('`+row+` input[name="a-%d-%s-' + l + '"]').getBoundingClientRect());
						return {HeadLeft: head.left, HeadRight: head.right, Lefts: boxes.map(r => r.left), Rights: boxes.map(r => r.right), Tops: boxes.map(r => r.top)};
					})()`, i+1, area.ID, party))
					for j, l := range []string{"R", "A", "C", "I"} {
						if b.Lefts[j] < b.HeadLeft || b.Rights[j] > b.HeadRight {
							t.Errorf("%s: the %s %s box spans x %.0f–%.0f, outside the %s column at %.0f–%.0f", area.Key, party, l, b.Lefts[j], b.Rights[j], party, b.HeadLeft, b.HeadRight)
						}
					}
					boxes[party] = b
				}
				if width < 1400 {
					continue
				}
				in, pr := boxes[tandem.PartyInternal], boxes[tandem.PartyProvider]
				for j, l := range []string{"R", "A", "C", "I"} {
					if pr.Tops[j] != in.Tops[0] || in.Tops[j] != in.Tops[0] {
						t.Errorf("%s: the %s boxes are not on one line with the internal ones (tops %v and %v)", area.Key, l, in.Tops, pr.Tops)
						break
					}
					if pr.Lefts[j] <= in.Rights[3] {
						t.Errorf("%s: the provider's %s box (x %.0f) is not right of the internal team's boxes (up to %.0f)", area.Key, l, pr.Lefts[j], in.Rights[3])
					}
				}
			}

			legend := browsertest.Text(t, ctx, "#matrix-legend")
			for _, want := range []string{"Responsible", "Accountable", "Consulted", "Informed", "exactly one Accountable party"} {
				if !strings.Contains(legend, want) {
					t.Errorf("the legend %q lacks %q", legend, want)
				}
			}

			versions := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#matrix-history > li.version .version-line")].map(p => p.textContent.replace(/\s+/g, " ").trim())`)
			if len(versions) != 3 {
				t.Fatalf("history lists %d versions, want 3: %q", len(versions), versions)
			}
			for i, want := range []string{"v3, proposed by Ida IT <ida@acme.example> on ", "v2, proposed by Ida IT <ida@acme.example> on ", "v1, proposed by Ida IT <ida@acme.example> on "} {
				if !strings.HasPrefix(versions[i], want) {
					t.Errorf("history line %d = %q, want it to start %q", i, versions[i], want)
				}
			}
			if !strings.Contains(versions[0], "not yet signed by both parties") || !strings.Contains(versions[1], ", accepted ") || !strings.Contains(versions[2], "then superseded") {
				t.Errorf("history lines do not say where each version stands: %q", versions)
			}
			if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#matrix-history .version-line time[datetime]").length`); n != 5 {
				t.Errorf("history shows %d times as <time>, want 5 (three proposals, two acceptances)", n)
			}
			changes := func(version int) []string {
				return browsertest.Eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('#matrix-history li[data-version="%d"] li.change')].map(li => li.textContent.replace(/\s+/g, " ").trim())`, version))
			}
			if got := changes(2); len(got) != 1 || got[0] != areas[0].Name+" — Internal IT: RA → C; Provider: C → RA" {
				t.Errorf("v2 changes = %q, want one line for %s", got, areas[0].Name)
			}
			if got := changes(3); len(got) != 1 || got[0] != areas[1].Name+" — Internal IT: I → R; Provider: RA → AC" {
				t.Errorf("v3 changes = %q, want one line for %s", got, areas[1].Name)
			}
			if got := changes(1); len(got) != len(areas) || got[0] != areas[0].Name+" — Internal IT: none → RA; Provider: none → C" {
				t.Errorf("v1 changes = %q, want every area assigned from none", got)
			}

			// Neither the page nor its own content (a grid may scroll
			// inside its wrapper) is wider than the window.
			if wide := browsertest.Overflow(t, ctx, "main *:not(.matrix-scroll *)"); len(wide) > 0 {
				t.Errorf("the matrix page does not fit the %d px window: %q", width, wide)
			}
		})
	}
	if errs := browsertest.TakeErrors(t, ctx); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
