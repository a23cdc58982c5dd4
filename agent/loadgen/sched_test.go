package loadgen

import (
	"math"
	"runtime/metrics"
	"testing"
)

func TestSchedQuantile(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}
	before := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{5, 5, 5, 5}}
	for _, tc := range []struct {
		name   string
		after  []uint64
		q      float64
		wantMS float64
	}{
		{"nothing waited since", []uint64{5, 5, 5, 5}, 0.99, 0},
		{"all under 1 ms", []uint64{105, 5, 5, 5}, 0.99, 1},
		{"the 99th of 99 in the third bucket", []uint64{103, 5, 6, 5}, 0.99, 100},
		{"the 99th of 100 in the second bucket", []uint64{103, 6, 6, 5}, 0.99, 10},
		{"the last bucket is open: its lower bound", []uint64{5, 5, 5, 7}, 0.5, 100},
	} {
		after := &metrics.Float64Histogram{Buckets: buckets, Counts: tc.after}
		if got := schedQuantile(before, after, tc.q); got != tc.wantMS {
			t.Errorf("%s: %v ms, want %v", tc.name, got, tc.wantMS)
		}
	}
	if got := schedQuantile(nil, before, 0.99); got != 0 {
		t.Errorf("without a reading: %v", got)
	}
}

// The runtime keeps the histogram this reads.
func TestReadSched(t *testing.T) {
	if h := readSched(); h == nil || len(h.Counts) == 0 {
		t.Fatalf("no %s histogram: %v", schedLatencies, h)
	}
}
