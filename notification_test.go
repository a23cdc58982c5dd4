package tandem_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0.5, 15 * time.Second},
		{2, 0.5, 30 * time.Second},
		{3, 0.5, time.Minute},
		{8, 0.5, 32 * time.Minute},
		{9, 0.5, time.Hour}, // 64 min, capped
		{10, 0.5, time.Hour},
		{1000, 0.5, time.Hour},
		{0, 0.5, 15 * time.Second}, // no failure yet counts as the first
		{1, 0, 15 * time.Second * 3 / 4},
		{1, 0.999999, 18749993 * time.Microsecond},
		{9, 0, 45 * time.Minute},
	}
	for _, tt := range tests {
		if got := tandem.RetryDelay(tt.attempt, tt.jitter); got.Round(time.Microsecond) != tt.want {
			t.Errorf("RetryDelay(%d, %v) = %v, want %v", tt.attempt, tt.jitter, got, tt.want)
		}
	}
	// Within 24 hours a delivery is tried about thirty times: often at
	// first, then hourly.
	var total time.Duration
	n := 0
	for total < tandem.RetryWindow {
		n++
		total += tandem.RetryDelay(n, 0.5)
	}
	if n < 25 || n > 35 {
		t.Errorf("%d retries fit in the retry window, want about thirty", n)
	}
}
