package tandem_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestThrottled(t *testing.T) {
	tests := []struct {
		retry    time.Duration
		want     time.Duration
		wantText string
	}{
		{0, time.Second, "1 seconds"},
		{1500 * time.Millisecond, 2 * time.Second, "2 seconds"},
		{90 * time.Second, 90 * time.Second, "90 seconds"},
		{44*time.Minute + 1*time.Second, 44*time.Minute + time.Second, "45 minutes"},
		{time.Hour, time.Hour, "60 minutes"},
	}
	for _, tt := range tests {
		err := tandem.Throttled(tt.retry)
		if got := tandem.RetryAfter(err); got != tt.want {
			t.Errorf("Throttled(%v): RetryAfter = %v, want %v", tt.retry, got, tt.want)
		}
		if code := tandem.ErrorCode(err); code != tandem.ETOOMANY {
			t.Errorf("Throttled(%v): code %q", tt.retry, code)
		}
		if msg := tandem.ErrorMessage(err); !strings.Contains(msg, tt.wantText) {
			t.Errorf("Throttled(%v): message %q, want it to say %q", tt.retry, msg, tt.wantText)
		}
		// Wrapping keeps the code and the retry time.
		wrapped := fmt.Errorf("login: %w", err)
		if tandem.ErrorCode(wrapped) != tandem.ETOOMANY || tandem.RetryAfter(wrapped) != tt.want {
			t.Errorf("Throttled(%v) wrapped loses its code or retry time", tt.retry)
		}
	}
	if got := tandem.RetryAfter(tandem.Errorf(tandem.EUNAUTHORIZED, "no")); got != 0 {
		t.Errorf("RetryAfter of another error = %v", got)
	}
}

func TestValidatePasswordCommon(t *testing.T) {
	for _, pw := range []string{"baseball", "Password1", "qwertyuiop", "iloveyou", "1q2w3e4r5t"} {
		err := tandem.ValidatePassword(pw)
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), "most common passwords") {
			t.Errorf("ValidatePassword(%q) = %v, want EINVALID naming common passwords", pw, err)
		}
		if strings.Contains(tandem.ErrorMessage(err), pw) {
			t.Errorf("message for %q echoes the password", pw)
		}
	}
	if err := tandem.ValidatePassword("correct horse battery staple"); err != nil {
		t.Errorf("ValidatePassword of an uncommon passphrase: %v", err)
	}
}
