package tandem_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

func TestUserValidate(t *testing.T) {
	org := int64(7)
	tests := []struct {
		name string
		user tandem.User
		code string
	}{
		{"ProviderAdmin", tandem.User{Email: "A@Example.com", Role: tandem.RoleAdmin}, ""},
		{"InternalRequester", tandem.User{Email: "r@example.com", Role: tandem.RoleRequester, OrganizationID: &org}, ""},
		{"ErrProviderRoleInOrg", tandem.User{Email: "a@example.com", Role: tandem.RoleAdmin, OrganizationID: &org}, tandem.EINVALID},
		{"ErrInternalRoleAtProvider", tandem.User{Email: "a@example.com", Role: tandem.RoleITAdmin}, tandem.EINVALID},
		{"ErrEmail", tandem.User{Email: "not an email", Role: tandem.RoleAdmin}, tandem.EINVALID},
		{"ErrEmailWithName", tandem.User{Email: "Bob <bob@example.com>", Role: tandem.RoleAdmin}, tandem.EINVALID},
		{"ErrAssignmentsForInternal", tandem.User{Email: "a@example.com", Role: tandem.RoleViewer, OrganizationID: &org, Organizations: []int64{1}}, tandem.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.user
			if err := u.Validate(); tandem.ErrorCode(err) != tt.code {
				t.Fatalf("Validate = %v, want code %q", err, tt.code)
			}
			if tt.code == "" && u.Email != strings.ToLower(u.Email) {
				t.Fatalf("email %q not normalised", u.Email)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	for pw, code := range map[string]string{
		"short":                "invalid",
		"eight ch":             "",
		strings.Repeat("é", 8): "",
		strings.Repeat("x", tandem.MaxPasswordLength+1): "invalid",
	} {
		if err := tandem.ValidatePassword(pw); tandem.ErrorCode(err) != code {
			t.Errorf("ValidatePassword(%d chars) = %v, want %q", utf8.RuneCountInString(pw), err, code)
		}
	}
}
