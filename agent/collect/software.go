package collect

import (
	"cmp"
	"slices"

	"github.com/tandemhq/tandem/agentproto"
)

// sortSoftware orders a software list by name, then version, then
// source, and drops exact repeats, so two inventories of an unchanged
// machine are equal and the server sees no change. A repeat is real: dpkg
// lists a Multi-Arch package once per architecture (libc6 amd64 and
// i386), the Windows registry an installer in both of its views.
func sortSoftware(list []agentproto.Software) []agentproto.Software {
	slices.SortFunc(list, func(a, b agentproto.Software) int {
		return cmp.Or(
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Publisher, b.Publisher),
		)
	})
	return slices.Compact(list)
}

// sortUpdates orders pending updates by name and version and drops
// repeats (dnf lists a package once per architecture); of repeats, one
// marked as a security update wins.
func sortUpdates(list []agentproto.PendingUpdate) []agentproto.PendingUpdate {
	slices.SortFunc(list, func(a, b agentproto.PendingUpdate) int {
		return cmp.Or(
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			-cmp.Compare(b2i(a.Security), b2i(b.Security)),
		)
	})
	return slices.CompactFunc(list, func(a, b agentproto.PendingUpdate) bool {
		return a.Name == b.Name && a.Version == b.Version
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
