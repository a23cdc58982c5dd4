package collect

import "testing"

// cpuinfoEPYCVM is /proc/cpuinfo of a two-vCPU Firecracker VM.
const cpuinfoEPYCVM = `processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
stepping	: 1
cpu MHz		: 2096.012
cache size	: 1024 KB
physical id	: 0
siblings	: 2
core id		: 0
cpu cores	: 2
apicid		: 0
initial apicid	: 0
fpu		: yes
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep pge mca cmov
bogomips	: 4192.02
TLB size	: 192 4K pages
clflush size	: 64
cache_alignment	: 64
address sizes	: 48 bits physical, 48 bits virtual
power management:

processor	: 1
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
stepping	: 1
physical id	: 0
siblings	: 2
core id		: 1
cpu cores	: 2
apicid		: 1
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep pge mca cmov
power management:

`

// cpuinfoXeonHT is a one-socket, two-core Xeon with hyper-threading: four
// logical processors, two cores.
const cpuinfoXeonHT = `processor	: 0
model name	: Intel(R) Xeon(R) CPU E3-1230 v5 @ 3.40GHz
physical id	: 0
core id		: 0
cpu cores	: 2

processor	: 1
model name	: Intel(R) Xeon(R) CPU E3-1230 v5 @ 3.40GHz
physical id	: 0
core id		: 1

processor	: 2
model name	: Intel(R) Xeon(R) CPU E3-1230 v5 @ 3.40GHz
physical id	: 0
core id		: 0

processor	: 3
model name	: Intel(R) Xeon(R) CPU E3-1230 v5 @ 3.40GHz
physical id	: 0
core id		: 1
`

// cpuinfoGraviton2 is an AWS Graviton2 (Neoverse-N1): ARM kernels print
// no model name and no topology.
const cpuinfoGraviton2 = `processor	: 0
BogoMIPS	: 243.75
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

processor	: 1
BogoMIPS	: 243.75
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1
`

const cpuinfoRaspberryPi = `processor	: 0
BogoMIPS	: 108.00
CPU implementer	: 0x41
CPU part	: 0xfff

processor	: 1
BogoMIPS	: 108.00

Hardware	: BCM2835
Revision	: c03111
Serial		: 10000000abcdef01
Model		: Raspberry Pi 4 Model B Rev 1.1
`

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name, text string
		wantModel  string
		wantCores  int
	}{
		{"EPYCVM", cpuinfoEPYCVM, "AMD EPYC", 2},
		{"XeonHyperThreadingCountsCores", cpuinfoXeonHT, "Intel(R) Xeon(R) CPU E3-1230 v5 @ 3.40GHz", 2},
		{"Graviton2NamedFromPart", cpuinfoGraviton2, "ARM Neoverse-N1", 2},
		{"RaspberryPiModel", cpuinfoRaspberryPi, "Raspberry Pi 4 Model B Rev 1.1", 2},
		{"TopologyOnSomeOnlyCountsLogical", "processor: 0\nphysical id: 0\ncore id: 0\nprocessor: 1\n", "", 2},
		{"S390xProcessorWord", "processors    : 4\nprocessor 0: version = FF\n", "", 0},
		{"Empty", "", "", 0},
		{"SpacesInModelCollapsed", "processor: 0\nmodel name:  Some   CPU  \n", "Some CPU", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model, cores := parseCPUInfo(tt.text)
			if model != tt.wantModel || cores != tt.wantCores {
				t.Errorf("parseCPUInfo = %q, %d; want %q, %d", model, cores, tt.wantModel, tt.wantCores)
			}
		})
	}
}

func FuzzParseCPUInfo(f *testing.F) {
	for _, s := range []string{cpuinfoEPYCVM, cpuinfoXeonHT, cpuinfoGraviton2, cpuinfoRaspberryPi, "processor: x\n:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if _, cores := parseCPUInfo(text); cores < 0 {
			t.Fatalf("negative cores %d", cores)
		}
	})
}
