package tandem_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

func TestSlugify(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Harbor Logistics", "harbor-logistics"},
		{"  Maple   Dental Group!! ", "maple-dental-group"},
		{"Müller & Söhne GmbH", "m-ller-s-hne-gmbh"},
		{"---", ""},
		{strings.Repeat("ab ", 40), strings.TrimSuffix(strings.Repeat("ab-", 22)[:64], "-")},
	}
	for _, tt := range tests {
		if got := tandem.Slugify(tt.name); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOrganizationValidate(t *testing.T) {
	t.Run("SlugFromName", func(t *testing.T) {
		o := &tandem.Organization{Name: " Harbor Logistics "}
		if err := o.Validate(); err != nil || o.Slug != "harbor-logistics" || o.Name != "Harbor Logistics" {
			t.Fatalf("Validate = %v, name %q slug %q", err, o.Name, o.Slug)
		}
	})
	for name, o := range map[string]tandem.Organization{
		"ErrNameRequired": {Name: "  "},
		"ErrNameTooLong":  {Name: strings.Repeat("x", 201)},
		"ErrSlugInvalid":  {Name: "Acme", Slug: "Acme Corp"},
		"ErrSlugHyphen":   {Name: "Acme", Slug: "-acme"},
		"ErrNoSlugChars":  {Name: "!!!"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := o.Validate(); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
		})
	}
}

// FuzzOrganizationValidate checks that any accepted organisation has a slug
// matching the documented pattern and a trimmed, bounded name.
func FuzzOrganizationValidate(f *testing.F) {
	f.Add("Harbor Logistics", "")
	f.Add("x", "a--b")
	f.Add("Ümlaut", "-")
	f.Fuzz(func(t *testing.T, name, slug string) {
		o := &tandem.Organization{Name: name, Slug: slug}
		if err := o.Validate(); err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("Validate error %v is not EINVALID", err)
			}
			return
		}
		if o.Name == "" || o.Name != strings.TrimSpace(o.Name) || utf8.RuneCountInString(o.Name) > 200 {
			t.Fatalf("accepted name %q", o.Name)
		}
		if len(o.Slug) == 0 || len(o.Slug) > 64 || o.Slug[0] == '-' || o.Slug[len(o.Slug)-1] == '-' || strings.Trim(o.Slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("accepted slug %q", o.Slug)
		}
	})
}

func TestLoadTimeZone(t *testing.T) {
	tests := []struct {
		name, zone, want string
	}{
		{"IANA", "America/New_York", "America/New_York"},
		{"UTC", "UTC", "UTC"},
		{"Spaces", "  Europe/Berlin ", "Europe/Berlin"},
		{"ErrEmpty", "", ""},
		{"ErrLocal", "Local", ""},
		{"ErrUnknown", "Mars/Olympus_Mons", ""},
		{"ErrPath", "../../etc/passwd", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := tandem.LoadTimeZone(tt.zone)
			if tt.want == "" {
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("LoadTimeZone(%q) = %v, %v; want EINVALID", tt.zone, loc, err)
				}
				return
			}
			if err != nil || loc.String() != tt.want {
				t.Fatalf("LoadTimeZone(%q) = %v, %v; want %s", tt.zone, loc, err, tt.want)
			}
		})
	}
}
