package tandem_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestPreferencesWants(t *testing.T) {
	off := &tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{
		tandem.ChannelEmail: {tandem.NotifyNewTicket, tandem.NotifyEscalation},
		tandem.ChannelInApp: {tandem.NotifyEscalation, tandem.NotifyPasswordReset},
	}}
	tests := []struct {
		name  string
		prefs *tandem.NotificationPreferences
		ch    tandem.Channel
		kind  tandem.NotificationKind
		pr    tandem.Priority
		want  bool
	}{
		{"NoPreferencesAllOn", nil, tandem.ChannelEmail, tandem.NotifyNewTicket, 3, true},
		{"TurnedOff", off, tandem.ChannelEmail, tandem.NotifyNewTicket, 3, false},
		{"OffOnOneChannelOnly", off, tandem.ChannelInApp, tandem.NotifyNewTicket, 3, true},
		{"OtherKindOn", off, tandem.ChannelEmail, tandem.NotifyReply, 3, true},
		{"EscalationOffForP2", off, tandem.ChannelEmail, tandem.NotifyEscalation, 2, false},
		{"P1EscalationAlways", off, tandem.ChannelEmail, tandem.NotifyEscalation, 1, true},
		{"P1EscalationAlwaysInApp", off, tandem.ChannelInApp, tandem.NotifyEscalation, 1, true},
		{"P1OtherKindsStillOff", off, tandem.ChannelEmail, tandem.NotifyNewTicket, 1, false},
		{"PasswordResetAlways", off, tandem.ChannelInApp, tandem.NotifyPasswordReset, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.prefs.Wants(tt.ch, tt.kind, tt.pr); got != tt.want {
				t.Fatalf("Wants(%s, %s, P%d) = %v, want %v", tt.ch, tt.kind, tt.pr, got, tt.want)
			}
		})
	}
}

func TestPreferencesQuietUntil(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")
	in := func(loc *time.Location, y int, mo time.Month, d, h, m int) time.Time {
		return time.Date(y, mo, d, h, m, 0, 0, loc)
	}
	night := func(zone string) *tandem.NotificationPreferences {
		return &tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "07:00", TimeZone: zone}
	}
	tests := []struct {
		name  string
		prefs *tandem.NotificationPreferences
		at    time.Time
		until time.Time // zero: not quiet
	}{
		{"NoQuietHours", &tandem.NotificationPreferences{TimeZone: "Europe/Berlin"}, in(berlin, 2030, 1, 10, 23, 0), time.Time{}},
		{"BeforeTheyStart", night("Europe/Berlin"), in(berlin, 2030, 1, 10, 21, 59), time.Time{}},
		{"AtTheirStart", night("Europe/Berlin"), in(berlin, 2030, 1, 10, 22, 0), in(berlin, 2030, 1, 11, 7, 0)},
		{"AfterMidnight", night("Europe/Berlin"), in(berlin, 2030, 1, 11, 3, 15), in(berlin, 2030, 1, 11, 7, 0)},
		{"AtTheirEnd", night("Europe/Berlin"), in(berlin, 2030, 1, 11, 7, 0), time.Time{}},
		{"JustBeforeTheirEnd", night("Europe/Berlin"), in(berlin, 2030, 1, 11, 6, 59), in(berlin, 2030, 1, 11, 7, 0)},
		{"Daytime", night("Europe/Berlin"), in(berlin, 2030, 1, 11, 12, 0), time.Time{}},
		// Europe moves to summer time on 31 March 2030: a night of 8 hours
		// of elapsed time, ending at 07:00 CEST (05:00 UTC), not 06:00 UTC.
		{"SpringForwardBerlin", night("Europe/Berlin"), in(berlin, 2030, 3, 30, 23, 30), time.Date(2030, 3, 31, 5, 0, 0, 0, time.UTC)},
		// Back to winter time on 27 October 2030: ends 07:00 CET (06:00 UTC).
		{"FallBackBerlin", night("Europe/Berlin"), in(berlin, 2030, 10, 26, 22, 30), time.Date(2030, 10, 27, 6, 0, 0, 0, time.UTC)},
		// New York changes on 10 March and 3 November 2030.
		{"SpringForwardNewYork", night("America/New_York"), in(newYork, 2030, 3, 10, 1, 30), time.Date(2030, 3, 10, 11, 0, 0, 0, time.UTC)},
		{"FallBackNewYork", night("America/New_York"), in(newYork, 2030, 11, 2, 23, 0), time.Date(2030, 11, 3, 12, 0, 0, 0, time.UTC)},
		// The zone is the user's, not the instant's: 21:30 UTC is 22:30 in Berlin.
		{"UserZoneCounts", night("Europe/Berlin"), time.Date(2030, 1, 10, 20, 30, 0, 0, time.UTC), time.Time{}},
		{"UserZoneCountsQuiet", night("Europe/Berlin"), time.Date(2030, 1, 10, 21, 30, 0, 0, time.UTC), in(berlin, 2030, 1, 11, 7, 0)},
		{"SameDayRange", &tandem.NotificationPreferences{QuietFrom: "12:00", QuietTo: "13:30", TimeZone: "UTC"}, time.Date(2030, 1, 10, 12, 45, 0, 0, time.UTC), time.Date(2030, 1, 10, 13, 30, 0, 0, time.UTC)},
		{"SameDayRangeOutside", &tandem.NotificationPreferences{QuietFrom: "12:00", QuietTo: "13:30", TimeZone: "UTC"}, time.Date(2030, 1, 10, 23, 0, 0, 0, time.UTC), time.Time{}},
		// An end inside a DST gap moves forward by the gap: 02:30 on 31 March in Berlin is 03:30 CEST.
		{"EndInTheGap", &tandem.NotificationPreferences{QuietFrom: "23:00", QuietTo: "02:30", TimeZone: "Europe/Berlin"}, in(berlin, 2030, 3, 30, 23, 30), time.Date(2030, 3, 31, 1, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			until, quiet := tt.prefs.QuietUntil(tt.at)
			if quiet != !tt.until.IsZero() || (quiet && !until.Equal(tt.until)) {
				t.Fatalf("QuietUntil(%s) = %s, %v; want %s", tt.at, until.UTC(), quiet, tt.until.UTC())
			}
		})
	}
}

func TestPreferencesCheck(t *testing.T) {
	tests := []struct {
		name  string
		prefs tandem.NotificationPreferences
		field string
		says  string
	}{
		{"Empty", tandem.NotificationPreferences{}, "", ""},
		{"Valid", tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{tandem.ChannelEmail: {tandem.NotifyReply}},
			QuietFrom: "22:00", QuietTo: "07:00", TimeZone: "Europe/Berlin"}, "", ""},
		{"UnknownChannel", tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{"sms": {tandem.NotifyReply}}}, "off", `channel "sms"`},
		{"WebhookIsNotAPersonsChannel", tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{tandem.ChannelWebhook: {tandem.NotifyReply}}}, "off", `channel "webhook"`},
		{"UnknownKind", tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{tandem.ChannelEmail: {"gossip"}}}, "off", `kind "gossip"`},
		{"PasswordResetCannotBeTurnedOff", tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{tandem.ChannelEmail: {tandem.NotifyPasswordReset}}}, "off", "cannot be turned off"},
		{"BadFrom", tandem.NotificationPreferences{QuietFrom: "10pm", QuietTo: "07:00", TimeZone: "UTC"}, "quiet_from", "HH:MM"},
		{"BadTo", tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "24:00", TimeZone: "UTC"}, "quiet_to", "00:00 to 23:59"},
		{"OnlyOne", tandem.NotificationPreferences{QuietFrom: "22:00", TimeZone: "UTC"}, "quiet_to", "HH:MM"},
		{"SameTimes", tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "22:00", TimeZone: "UTC"}, "quiet_to", "also when they start"},
		{"NoZone", tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "07:00"}, "time_zone", "IANA"},
		{"BadZone", tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "07:00", TimeZone: "Mars/Olympus"}, "time_zone", "IANA"},
		{"LocalIsNoZone", tandem.NotificationPreferences{QuietFrom: "22:00", QuietTo: "07:00", TimeZone: "Local"}, "time_zone", "IANA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field, err := tt.prefs.Check()
			if field != tt.field || (tt.says == "") != (err == nil) {
				t.Fatalf("Check() = %q, %v; want field %q", field, err, tt.field)
			}
			if err != nil && (tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), tt.says)) {
				t.Fatalf("error %v, want EINVALID saying %q", err, tt.says)
			}
		})
	}
	t.Run("Normalises", func(t *testing.T) {
		p := tandem.NotificationPreferences{Off: map[tandem.Channel][]tandem.NotificationKind{
			tandem.ChannelEmail: {tandem.NotifyReply, tandem.NotifyAssigned, tandem.NotifyReply}, tandem.ChannelInApp: {}}, QuietFrom: " 22:00 "}
		p.QuietTo, p.TimeZone = "07:00", "UTC"
		if _, err := p.Check(); err != nil {
			t.Fatal(err)
		}
		if got := p.Off[tandem.ChannelEmail]; len(got) != 2 || got[0] != tandem.NotifyAssigned || len(p.Off) != 1 || p.QuietFrom != "22:00" {
			t.Fatalf("normalised to %+v", p)
		}
	})
}

// FuzzParseClock holds the parser of quiet hours' times to its form: every
// accepted input is HH:MM within a day and reads back as itself.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"22:00", "07:30", "00:00", "23:59", "24:00", "7:30", "+1:00", "-0:01", "1a:00", "", ":", "12:345", "١٢:٠٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := tandem.ParseClock(s)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("ParseClock(%q): %v, want EINVALID", s, err)
			}
			return
		}
		if m < 0 || m >= 24*60 {
			t.Fatalf("ParseClock(%q) = %d minutes, outside a day", s, m)
		}
		if back := time.Date(2030, 1, 1, m/60, m%60, 0, 0, time.UTC).Format("15:04"); back != s {
			t.Fatalf("ParseClock(%q) = %d, which reads back as %q", s, m, back)
		}
	})
}
