// Package collect gathers what tandem-agent reports about its machine: the
// metrics of each check-in (Sampler), the inventory (Inventory) and the
// facts local checks ask for (Probe).
//
// Each source is split in two: a pure parser that takes the text another
// program or file produced and is table-tested and fuzzed on fixtures, and
// a thin reader per operating system (files ending in _linux.go,
// _windows.go, _darwin.go) that runs the program or reads the file and
// hands the text over. Parsers live in files without build tags so their
// tests run on every OS. Every program is run with a timeout, so a hung
// package manager delays a report but never hangs the agent.
//
// The package needs no cgo: on Linux it uses gopsutil for load, uptime,
// users and disk usage; on Windows and macOS it calls the system directly
// through golang.org/x/sys (gopsutil's Windows and macOS code pulls in
// modules this build does not carry).
package collect
