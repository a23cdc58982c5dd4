package tandem

import (
	"context"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // zone names resolve on machines without a zone database
)

// Provider is the managed service provider that runs this installation. There
// is exactly one; it is created on first start.
type Provider struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// TimeZone is the IANA zone provider staff see every time in: they
	// work across organisations, each with its own calendar, so the
	// provider picks one zone for them. UTC until a provider admin sets it.
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
}

// ProviderUpdate holds the provider settings an update may change; nil
// leaves a setting as it is.
type ProviderUpdate struct {
	TimeZone *string `json:"time_zone"`
}

// LoadTimeZone returns the zone of an IANA name such as "Europe/Berlin" or
// "UTC", and EINVALID for anything else ("Local" too: it would depend on the
// machine Tandem runs on).
func LoadTimeZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" {
		return nil, Errorf(EINVALID, "Time zone %q is not an IANA zone name; use one such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\".", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Errorf(EINVALID, "Time zone %q is not a known IANA zone; use one such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\".", name)
	}
	return loc, nil
}

// Organization is a client tenant: a company whose IT is co-managed by its
// internal team and the provider. Every tenant record belongs to one.
type Organization struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	Parties   []Party   `json:"parties"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Party is one of the two teams working an organisation's IT.
type Party struct {
	ID             int64     `json:"id"`
	OrganizationID int64     `json:"organization_id"`
	Kind           PartyKind `json:"kind"`
	Name           string    `json:"name"`
}

// OrganizationFilter selects organisations; the actor's scope always applies.
type OrganizationFilter struct {
	ID     *int64
	Slug   *string
	Limit  int
	Cursor string
}

// OrganizationUpdate holds the fields an update may change; nil leaves a field as it is.
type OrganizationUpdate struct {
	Name *string `json:"name"`
	Slug *string `json:"slug"`
}

// OrganizationService manages organisations and their parties.
type OrganizationService interface {
	// FindOrganizationByID returns ENOTFOUND when the organisation does not
	// exist or lies outside the actor's scope.
	FindOrganizationByID(ctx context.Context, id int64) (*Organization, error)
	// FindOrganizationBySlug is FindOrganizationByID by slug.
	FindOrganizationBySlug(ctx context.Context, slug string) (*Organization, error)
	// FindOrganizations returns one page of the organisations in scope and the
	// cursor of the next page ("" on the last).
	FindOrganizations(ctx context.Context, filter OrganizationFilter) ([]*Organization, string, error)
	// CreateOrganization creates an organisation and its two parties. Provider
	// admins only (EFORBIDDEN); EINVALID for a bad name or slug, ECONFLICT for a
	// slug in use.
	CreateOrganization(ctx context.Context, org *Organization) error
	// UpdateOrganization changes name or slug. Provider admins and the
	// organisation's it-admins.
	UpdateOrganization(ctx context.Context, id int64, upd OrganizationUpdate) (*Organization, error)
	// FindProvider returns the provider and its settings, to any signed-in
	// actor (EUNAUTHORIZED without one).
	FindProvider(ctx context.Context) (*Provider, error)
	// UpdateProvider changes the provider's settings and audits the change.
	// Provider admins only (EFORBIDDEN); EINVALID for an unknown time zone.
	UpdateProvider(ctx context.Context, upd ProviderUpdate) (*Provider, error)
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// Slugify turns a name into a slug candidate: lower case, letters and digits
// joined by single hyphens.
func Slugify(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			hyphen = false
		case b.Len() > 0 && !hyphen:
			b.WriteByte('-')
			hyphen = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 64 {
		s = strings.TrimSuffix(s[:64], "-")
	}
	return s
}

// Validate checks an organisation before it is stored, filling the slug from
// the name when it is empty.
func (o *Organization) Validate() error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return Errorf(EINVALID, "Organisation name is required.")
	}
	if len([]rune(o.Name)) > 200 {
		return Errorf(EINVALID, "Organisation name is longer than 200 characters; shorten it.")
	}
	if o.Slug == "" {
		o.Slug = Slugify(o.Name)
	}
	if !slugPattern.MatchString(o.Slug) {
		return Errorf(EINVALID, "Organisation slug %q is invalid: use 1 to 64 lower-case letters, digits and inner hyphens.", o.Slug)
	}
	return nil
}

// Party returns the organisation's party of the given kind, or nil.
func (o *Organization) Party(kind PartyKind) *Party {
	for i := range o.Parties {
		if o.Parties[i].Kind == kind {
			return &o.Parties[i]
		}
	}
	return nil
}
