package sqlstore

import (
	"sync/atomic"
	"time"
)

// commitBuckets are the upper bounds, in seconds, of the histogram of
// SQLite's physical commits: writing the batch's pages to the log and its
// fsync. A disk that stalls shows here, and every writer of the batch
// waited that long.
var commitBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// commitTimes counts commit durations by bucket, without locks.
type commitTimes struct {
	counts [len(commitBuckets) + 1]atomic.Uint64 // one per bucket, and the last for slower ones
	nanos  atomic.Int64
}

func (h *commitTimes) observe(d time.Duration) {
	i := 0
	for i < len(commitBuckets) && d.Seconds() > commitBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.nanos.Add(int64(d))
}

// CommitTimes reports, on SQLite, how long the physical commits took: how
// many, their total in seconds, and the cumulative count at each bucket's
// upper bound (as Prometheus histograms have them). ok is false on
// PostgreSQL.
func (db *DB) CommitTimes() (count uint64, seconds float64, buckets map[float64]uint64, ok bool) {
	if db.group == nil {
		return 0, 0, nil, false
	}
	h := &db.group.times
	buckets = make(map[float64]uint64, len(commitBuckets))
	for i, upper := range commitBuckets {
		count += h.counts[i].Load()
		buckets[upper] = count
	}
	count += h.counts[len(commitBuckets)].Load()
	return count, time.Duration(h.nanos.Load()).Seconds(), buckets, true
}
