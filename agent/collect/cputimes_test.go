package collect

import "testing"

const procStat = `cpu  26254 0 11620 166983 653 0 413 0 0 0
cpu0 12496 0 5210 85114 82 0 152 0 0 0
cpu1 13758 0 6410 81868 571 0 261 0 0 0
intr 1234 0 0
ctxt 987654
`

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, text string
		want       cpuTimes
		wantErr    bool
	}{
		{"Real", procStat, cpuTimes{Busy: 26254 + 11620 + 413, Total: 26254 + 11620 + 166983 + 653 + 413}, false},
		// Guest time is part of user time already and is not added.
		{"GuestNotCounted", "cpu 10 0 10 70 10 0 0 0 5 0\n", cpuTimes{Busy: 20, Total: 100}, false},
		{"OldKernelFourFields", "cpu 10 20 30 40\n", cpuTimes{Busy: 60, Total: 100}, false},
		{"NoCPULine", "cpu0 1 2 3 4\n", cpuTimes{}, true},
		{"Garbage", "cpu 1 x 3 4\n", cpuTimes{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.text)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseProcStat = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCPUPercentBetween(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur cpuTimes
		want      float64
	}{
		{"Quarter", cpuTimes{100, 1000}, cpuTimes{125, 1100}, 25},
		{"Idle", cpuTimes{100, 1000}, cpuTimes{100, 2000}, 0},
		{"Full", cpuTimes{0, 0}, cpuTimes{50, 50}, 100},
		{"NoTimePassed", cpuTimes{100, 1000}, cpuTimes{100, 1000}, 0},
		{"CountersWentBack", cpuTimes{500, 5000}, cpuTimes{10, 100}, 0},
		{"BusyAboveTotalClamped", cpuTimes{0, 0}, cpuTimes{200, 100}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpuPercentBetween(tt.prev, tt.cur); got != tt.want {
				t.Errorf("cpuPercentBetween = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add(procStat)
	f.Add("cpu 18446744073709551615 18446744073709551615 1 1 1\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseProcStat(text)
		if err == nil && c.Busy > c.Total {
			t.Fatalf("busy above total: %+v", c)
		}
	})
}
