package http_test

import (
	"fmt"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// TestLoginReturnsWhereTheVisitorWasGoing: a link opened without a session
// (a ticket from an email) leads to the login and, once signed in — after
// the second factor when there is one — back to it; an outside address
// given as the return is never followed.
func TestLoginReturnsWhereTheVisitorWasGoing(t *testing.T) {
	s := testserver.Start(t)
	org := s.MustCreateOrganization(t, "Acme Corp")
	ivy := s.MustCreateUser(t, &tandem.User{Email: "ivy@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &org.ID}, uiPassword)
	admin := s.MustCreateUser(t, &tandem.User{Email: "ada@msp.example", Role: tandem.RoleAdmin}, uiPassword)
	secret := enrolMFA(t, s, admin)
	page := fmt.Sprintf("/tickets?organization=%d&status=open", org.ID)

	t.Run("Password", func(t *testing.T) {
		c := newUIClient(t, s)
		c.get(t, page).wantRedirect(t, "/login")
		c.post(t, "/login", "email", ivy.Email, "password", uiPassword).wantRedirect(t, page)
		// Taken once: the next login goes home.
		c.post(t, "/logout").wantRedirect(t, "/login")
		c.login(t, ivy.Email, uiPassword)
	})
	t.Run("SecondFactor", func(t *testing.T) {
		c := newUIClient(t, s)
		c.get(t, page).wantRedirect(t, "/login")
		c.post(t, "/login", "email", admin.Email, "password", uiPassword).wantRedirect(t, "/login/mfa")
		c.post(t, "/login/mfa", "code", nextCode(t, secret)).wantRedirect(t, page)
	})
	t.Run("NeverElsewhere", func(t *testing.T) {
		c := newUIClient(t, s)
		c.header.Set("Cookie", "tandem_return="+"%2F%2Fevil.example%2Fphish")
		c.post(t, "/login", "email", ivy.Email, "password", uiPassword).wantRedirect(t, "/")
	})
}
