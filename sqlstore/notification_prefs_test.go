package sqlstore_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestNotificationPreferences(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		s := sqlstore.NewNotificationService(db)

		t.Run("DefaultsAllOn", func(t *testing.T) {
			p, err := s.FindPreferences(d.as(d.ITTech))
			if err != nil {
				t.Fatal(err)
			}
			if p.UserID != d.ITTech.ID || len(p.Off) != 0 || p.QuietFrom != "" || !p.Wants(tandem.ChannelEmail, tandem.NotifyReply, 3) {
				t.Fatalf("defaults %+v", p)
			}
		})

		t.Run("SavedAndAudited", func(t *testing.T) {
			mark := auditMark(t, db)
			in := &tandem.NotificationPreferences{UserID: d.ITAdmin.ID, // another user's id is ignored: one's own are changed
				Off:       map[tandem.Channel][]tandem.NotificationKind{tandem.ChannelEmail: {tandem.NotifyWatchedComment, tandem.NotifyNewTicket}},
				QuietFrom: "22:00", QuietTo: "07:00", TimeZone: "Europe/Berlin"}
			if err := s.UpdatePreferences(d.as(d.ITTech), in); err != nil {
				t.Fatal(err)
			}
			p, err := s.FindPreferences(d.as(d.ITTech))
			if err != nil {
				t.Fatal(err)
			}
			if p.Wants(tandem.ChannelEmail, tandem.NotifyNewTicket, 3) || !p.Wants(tandem.ChannelInApp, tandem.NotifyNewTicket, 3) ||
				p.QuietFrom != "22:00" || p.QuietTo != "07:00" || p.TimeZone != "Europe/Berlin" {
				t.Fatalf("read back %+v", p)
			}
			if other, err := s.FindPreferences(d.as(d.ITAdmin)); err != nil || len(other.Off) != 0 {
				t.Fatalf("the it-admin's preferences changed: %+v %v", other, err)
			}
			entries := auditSince(t, db, mark)
			if len(entries) != 1 || entries[0].Action != "notification.preferences" || entries[0].Target != "user:"+itoa(int(d.ITTech.ID)) {
				t.Fatalf("audit %+v", entries)
			}
		})

		t.Run("InvalidChangesNothing", func(t *testing.T) {
			err := s.UpdatePreferences(d.as(d.ITTech), &tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "7", TimeZone: "Europe/Berlin"})
			wantCode(t, err, tandem.EINVALID)
			if p, _ := s.FindPreferences(d.as(d.ITTech)); p.QuietTo != "07:00" {
				t.Fatalf("after a refused change: %+v", p)
			}
		})

		t.Run("NeedsAUser", func(t *testing.T) {
			wantCode(t, s.UpdatePreferences(systemCtx(t), &tandem.NotificationPreferences{}), tandem.EFORBIDDEN)
			_, err := s.FindPreferences(t.Context())
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestNotificationQuietHours(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		s := sqlstore.NewNotificationService(db)
		if err := s.UpdatePreferences(d.as(d.ITAdmin), &tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "07:00", TimeZone: "Europe/Berlin"}); err != nil {
			t.Fatal(err)
		}
		// Saturday 30 March 2030, 23:30 in Berlin; the clocks go forward
		// that night, so the quiet hours end at 07:00 CEST, 05:00 UTC.
		night := time.Date(2030, 3, 30, 22, 30, 0, 0, time.UTC)
		d.Clock.Advance(night.Sub(d.Clock.Now()))
		morning := time.Date(2030, 3, 31, 5, 0, 0, 0, time.UTC)

		due := func(mark int64) map[string]time.Time {
			_, list := d.sentSince(mark)
			out := map[string]time.Time{}
			for _, n := range list {
				switch {
				case n.Channel == tandem.ChannelInApp && n.State != tandem.DeliverySent:
					t.Errorf("in-app %+v not delivered at once", n)
				case n.Channel == tandem.ChannelEmail:
					out[n.Address] = n.NextAttemptAt.UTC()
				}
			}
			return out
		}

		t.Run("EmailWaitsUntilTheyEnd", func(t *testing.T) {
			mark := outboxMark(t, db)
			d.open(d.Requester, "end-user-support", "Label printer out of labels")
			got := due(mark)
			if len(got) != 2 || !got[d.ITAdmin.Email].Equal(morning) || !got[d.ITTech.Email].Equal(night) {
				t.Fatalf("emails due %v; want the it-admin's at %s, the it-technician's now (%s)", got, morning, night)
			}
			if n, _ := d.sentSince(mark); len(n[d.ITAdmin.Email]) != 2 {
				t.Fatalf("the it-admin got %v, want the in-app notification too", n[d.ITAdmin.Email])
			}
		})

		t.Run("NeverForP1", func(t *testing.T) {
			mark := outboxMark(t, db)
			d.openWith(d.Requester, "end-user-support", "Warehouse network down", tandem.LevelHigh, tandem.LevelHigh)
			if got := due(mark); !got[d.ITAdmin.Email].Equal(night) {
				t.Fatalf("P1 email due %v, want now (%s)", got, night)
			}
		})
	})
}
