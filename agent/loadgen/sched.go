package loadgen

import (
	"math"
	"runtime/metrics"
)

// schedLatencies is the Go runtime's histogram of how long this process's
// goroutines waited to run: a load generator short of CPU delays its own
// agents, and that wait is in every latency it measures.
const schedLatencies = "/sched/latencies:seconds"

// readSched is the histogram as it stands (counts since the start).
func readSched() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// schedQuantile is the q-quantile of the waits between two readings of
// the histogram, in milliseconds: the upper bound of the bucket it falls
// in (0 when nothing waited).
func schedQuantile(before, after *metrics.Float64Histogram, q float64) float64 {
	if before == nil || after == nil || len(before.Counts) != len(after.Counts) {
		return 0
	}
	var total uint64
	for i := range after.Counts {
		total += after.Counts[i] - before.Counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i := range after.Counts {
		seen += after.Counts[i] - before.Counts[i]
		if seen >= rank {
			upper := after.Buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = after.Buckets[i]
			}
			return upper * 1000
		}
	}
	return 0
}
