package sqlstore

// NotificationService implements tandem.NotificationService: the actor's
// in-app notifications and the outbox (notification_inbox.go), and their
// preferences (notification_prefs.go).
type NotificationService struct {
	db *DB
}

// NewNotificationService returns the notification service on db.
func NewNotificationService(db *DB) *NotificationService { return &NotificationService{db: db} }
