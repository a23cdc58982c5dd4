package collect

import "testing"

// meminfoDebian12 is the head of /proc/meminfo of a Debian 12 VM.
const meminfoDebian12 = `MemTotal:       24683748 kB
MemFree:        23574772 kB
MemAvailable:   23945908 kB
Buffers:            6716 kB
Cached:           581020 kB
SwapCached:            0 kB
Active:           297488 kB
Inactive:         435320 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Dirty:             19436 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`

const meminfoWithSwap = `MemTotal:        8048320 kB
MemFree:          312000 kB
MemAvailable:    2048000 kB
Buffers:          100000 kB
Cached:          1500000 kB
SwapTotal:       2097148 kB
SwapFree:        1048574 kB
`

// meminfoOldKernel predates MemAvailable (Linux 3.14).
const meminfoOldKernel = `MemTotal:        1000000 kB
MemFree:          200000 kB
Buffers:           50000 kB
Cached:           250000 kB
SwapTotal:             0 kB
SwapFree:              0 kB
`

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name, text             string
		want                   meminfo
		wantUsed, wantSwapUsed uint64
	}{
		{"Debian12", meminfoDebian12,
			meminfo{Total: 24683748 << 10, Available: 23945908 << 10},
			(24683748 - 23945908) << 10, 0},
		{"WithSwap", meminfoWithSwap,
			meminfo{Total: 8048320 << 10, Available: 2048000 << 10, SwapTotal: 2097148 << 10, SwapFree: 1048574 << 10},
			(8048320 - 2048000) << 10, (2097148 - 1048574) << 10},
		{"OldKernelEstimatesAvailable", meminfoOldKernel,
			meminfo{Total: 1000000 << 10, Available: 500000 << 10},
			500000 << 10, 0},
		{"AvailableAboveTotalClamped", "MemTotal: 10 kB\nMemAvailable: 20 kB\n",
			meminfo{Total: 10 << 10, Available: 10 << 10}, 0, 0},
		{"OverflowIgnored", "MemTotal: 99999999999999999999 kB\nMemAvailable: 18446744073709551615 kB\n",
			meminfo{}, 0, 0},
		{"Empty", "", meminfo{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseMeminfo(tt.text)
			if got != tt.want {
				t.Errorf("parseMeminfo = %+v, want %+v", got, tt.want)
			}
			if got.Used() != tt.wantUsed || got.SwapUsed() != tt.wantSwapUsed {
				t.Errorf("used %d, swap used %d; want %d, %d", got.Used(), got.SwapUsed(), tt.wantUsed, tt.wantSwapUsed)
			}
		})
	}
}

func FuzzParseMeminfo(f *testing.F) {
	for _, s := range []string{meminfoDebian12, meminfoWithSwap, meminfoOldKernel, "MemTotal: 1 kB\nMemFree: 18446744073709551615\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m := parseMeminfo(text)
		if m.Used() > m.Total || m.SwapUsed() > m.SwapTotal {
			t.Fatalf("used above total: %+v", m)
		}
	})
}
