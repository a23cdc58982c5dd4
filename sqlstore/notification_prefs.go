package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// A stub so NotificationService satisfies tandem.NotificationService on
// the inbox branch: the notification rules' branch owns preferences and
// replaces this file.

// FindPreferences returns the actor's preferences: everything on.
func (s *NotificationService) FindPreferences(ctx context.Context) (*tandem.NotificationPreferences, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	return &tandem.NotificationPreferences{UserID: a.UserID, Off: map[tandem.Channel][]tandem.NotificationKind{}}, nil
}

// UpdatePreferences is not available on this branch.
func (s *NotificationService) UpdatePreferences(ctx context.Context, p *tandem.NotificationPreferences) error {
	return tandem.Errorf(tandem.EINTERNAL, "Notification preferences are not available yet.")
}
