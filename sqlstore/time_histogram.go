package sqlstore

import (
	"sync/atomic"
	"time"
)

// histogramBuckets are the upper bounds, in seconds, of the store's
// duration histograms for /metrics: SQLite's physical commits, check-in
// batches and the check-ins' wait in the queue before their batch.
var histogramBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// timeHistogram counts durations by bucket, without locks.
type timeHistogram struct {
	counts [len(histogramBuckets) + 1]atomic.Uint64 // one per bucket, and the last for slower ones
	nanos  atomic.Int64
}

func (h *timeHistogram) observe(d time.Duration) {
	i := 0
	for i < len(histogramBuckets) && d.Seconds() > histogramBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.nanos.Add(int64(d))
}

// snapshot is the histogram as Prometheus has it: how many durations,
// their total in seconds, and the cumulative count at each bucket's upper
// bound.
func (h *timeHistogram) snapshot() (count uint64, seconds float64, buckets map[float64]uint64) {
	buckets = make(map[float64]uint64, len(histogramBuckets))
	for i, upper := range histogramBuckets {
		count += h.counts[i].Load()
		buckets[upper] = count
	}
	count += h.counts[len(histogramBuckets)].Load()
	return count, time.Duration(h.nanos.Load()).Seconds(), buckets
}

// CommitTimes reports, on SQLite, how long the physical commits took
// (writing the batch's pages to the log and its fsync: a disk that stalls
// shows here, and every writer of the batch waited that long). ok is
// false on PostgreSQL.
func (db *DB) CommitTimes() (count uint64, seconds float64, buckets map[float64]uint64, ok bool) {
	if db.group == nil {
		return 0, 0, nil, false
	}
	count, seconds, buckets = db.group.times.snapshot()
	return count, seconds, buckets, true
}

// CheckinBatchTimes reports how long the check-in batches took to store,
// from their transaction's start to its commit, on either database: one
// count per batch.
func (db *DB) CheckinBatchTimes() (count uint64, seconds float64, buckets map[float64]uint64) {
	return db.checkins.batchTimes.snapshot()
}

// CheckinWaits reports how long each check-in waited in the queue before
// the batch holding it began: one count per check-in. A long wait with
// short batches is a burst; with long batches, the database is the tail.
func (db *DB) CheckinWaits() (count uint64, seconds float64, buckets map[float64]uint64) {
	return db.checkins.waits.snapshot()
}
