package localcheck

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

func TestServiceAndProcess(t *testing.T) {
	facts := fakeFacts{
		services:  map[string]bool{"nginx": true, "cups": false},
		processes: map[string]bool{"postgres": true},
		errs:      map[string]error{"Spooler": errors.New(`there is no Windows service "Spooler"`)},
	}
	tests := []struct {
		name       string
		check      agentproto.Check
		wantState  agentproto.CheckState
		wantOutput string
	}{
		{"ServiceRunning", agentproto.Check{Kind: agentproto.CheckService, Target: "nginx"}, agentproto.CheckOK, "service nginx is running"},
		{"ServiceStopped", agentproto.Check{Kind: agentproto.CheckService, Target: "cups"}, agentproto.CheckFailing, "service cups is not running"},
		{"ServiceUnknown", agentproto.Check{Kind: agentproto.CheckService, Target: "Spooler"}, agentproto.CheckError, `there is no Windows service "Spooler"`},
		{"ServiceNoTarget", agentproto.Check{Kind: agentproto.CheckService}, agentproto.CheckError, "the check names no service to watch"},
		{"ProcessRunning", agentproto.Check{Kind: agentproto.CheckProcess, Target: "postgres"}, agentproto.CheckOK, "process postgres is running"},
		{"ProcessMissing", agentproto.Check{Kind: agentproto.CheckProcess, Target: "redis-server"}, agentproto.CheckFailing, "process redis-server is not running"},
		{"ProcessUnreadable", agentproto.Check{Kind: agentproto.CheckProcess, Target: "Spooler"}, agentproto.CheckError, `there is no Windows service "Spooler"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			c.ID = 1
			got := NewRunner(facts).Run(context.Background(), t0, []agentproto.Check{c}, agentproto.Metrics{})[0]
			if got.State != tt.wantState || got.Output != tt.wantOutput {
				t.Errorf("result %s %q, want %s %q", got.State, got.Output, tt.wantState, tt.wantOutput)
			}
		})
	}
}

func TestFileAge(t *testing.T) {
	facts := fakeFacts{
		files: map[string]time.Time{
			"/backup/db.dump":  t0.Add(-30*time.Hour - 12*time.Minute),
			"/backup/new.dump": t0.Add(-2*time.Hour - 5*time.Minute),
			"/backup/edge":     t0.Add(-24 * time.Hour),
			"/backup/old.dump": t0.Add(-(3*24 + 4) * time.Hour),
			"/backup/future":   t0.Add(time.Hour),
		},
		errs: map[string]error{"/root/backup.tar": errPermission},
	}
	tests := []struct {
		name       string
		check      agentproto.Check
		wantState  agentproto.CheckState
		wantOutput string
	}{
		{"Old", agentproto.Check{Target: "/backup/db.dump", Hours: 24}, agentproto.CheckFailing,
			"/backup/db.dump is 30h12m old (modified 2024-04-30T05:48:00Z), older than 24 hours"},
		{"Fresh", agentproto.Check{Target: "/backup/new.dump", Hours: 24}, agentproto.CheckOK,
			"/backup/new.dump is 2h5m old (modified 2024-05-01T09:55:00Z)"},
		{"ExactlyHoursOldIsNotOlder", agentproto.Check{Target: "/backup/edge", Hours: 24}, agentproto.CheckOK,
			"/backup/edge is 24h0m old (modified 2024-04-30T12:00:00Z)"},
		{"DaysOld", agentproto.Check{Target: "/backup/old.dump", Hours: 1.5}, agentproto.CheckFailing,
			"/backup/old.dump is 3d4h old (modified 2024-04-28T08:00:00Z), older than 1.5 hours"},
		{"FutureIsNew", agentproto.Check{Target: "/backup/future", Hours: 1}, agentproto.CheckOK,
			"/backup/future is less than a minute old (modified 2024-05-01T13:00:00Z)"},
		{"Missing", agentproto.Check{Target: "/backup/none", Hours: 24}, agentproto.CheckFailing, "/backup/none does not exist"},
		{"Unreadable", agentproto.Check{Target: "/root/backup.tar", Hours: 24}, agentproto.CheckError, errPermission.Error()},
		{"NoHours", agentproto.Check{Target: "/backup/db.dump"}, agentproto.CheckError, "the check sets no maximum age in hours"},
		{"NoTarget", agentproto.Check{Hours: 24}, agentproto.CheckError, "the check names no file to watch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			c.ID, c.Kind = 1, agentproto.CheckFileAge
			got := NewRunner(facts).Run(context.Background(), t0, []agentproto.Check{c}, agentproto.Metrics{})[0]
			if got.State != tt.wantState || got.Output != tt.wantOutput {
				t.Errorf("result %s %q,\nwant   %s %q", got.State, got.Output, tt.wantState, tt.wantOutput)
			}
		})
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "less than a minute", 12 * time.Minute: "12m", 5*time.Hour + 3*time.Minute: "5h3m",
		47*time.Hour + 59*time.Minute: "47h59m", 48 * time.Hour: "2d0h", 76 * time.Hour: "3d4h",
	} {
		if got := formatAge(d); got != want {
			t.Errorf("formatAge(%s) = %q, want %q", d, got, want)
		}
	}
}
