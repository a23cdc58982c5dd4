package collect

import (
	"context"
	"os"
	"os/exec"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// Timeouts of the package managers: listing what is installed reads a
// local database; simulating an upgrade resolves every dependency (about
// 4 s on a Debian 12 machine with 790 packages) and dnf may fetch
// metadata over the network.
const (
	listTimeout    = 60 * time.Second
	aptTimeout     = 60 * time.Second
	dnfTimeout     = 120 * time.Second
	restartTimeout = 30 * time.Second
)

// linuxSoftware lists the installed packages from dpkg, else rpm; none
// when neither is there or both fail. A dpkg that knows no package (the
// dpkg tool installed on an RPM system) does not hide rpm's list.
func linuxSoftware(ctx context.Context) []agentproto.Software {
	if has("dpkg-query") {
		out, err := run(ctx, listTimeout, "dpkg-query", "-W", "-f="+dpkgQueryFormat)
		if list := parseDpkgQuery(string(out)); err == nil && len(list) > 0 {
			return list
		}
	}
	if has("rpm") {
		if out, err := run(ctx, listTimeout, "rpm", "-qa", "--qf", rpmQueryFormat); err == nil {
			return parseRPMQuery(string(out))
		}
	}
	return nil
}

// linuxPendingUpdates asks apt, else dnf, else yum what an upgrade would
// install, without installing or locking anything. known is false when
// none of them ran, so the server does not show "up to date" for a
// machine it knows nothing about. apt answers from its last package list
// download (apt update, usually daily): it is as fresh as that.
func linuxPendingUpdates(ctx context.Context) (updates []agentproto.PendingUpdate, known bool) {
	if has("apt-get") {
		out, err := runC(ctx, aptTimeout, "apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade")
		if err == nil {
			return parseAptSimulation(string(out)), true
		}
	}
	for _, dnf := range []string{"dnf", "yum"} {
		if !has(dnf) {
			continue
		}
		// check-update exits 100 when there are updates, 0 when none,
		// 1 on an error.
		out, err := runC(ctx, dnfTimeout, dnf, "-q", "check-update")
		switch code := exitCode(err); {
		case err == nil:
			return nil, true
		case code == 100:
			return parseDnfCheckUpdate(string(out)), true
		}
		return nil, false
	}
	return nil, false
}

// linuxRebootRequired says the machine waits for a restart to finish an
// update: Debian and Ubuntu leave /var/run/reboot-required, RHEL's
// needs-restarting -r exits 1.
func linuxRebootRequired(ctx context.Context) bool {
	if _, err := os.Stat("/var/run/reboot-required"); err == nil {
		return true
	}
	if has("needs-restarting") {
		_, err := runC(ctx, restartTimeout, "needs-restarting", "-r")
		return exitCode(err) == 1
	}
	return false
}

// has says a program is on the PATH.
func has(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
