package collect

import (
	"cmp"
	"slices"
	"strings"
)

// mount is one mounted file system as the OS lists it.
type mount struct {
	Device, Point, FSType string
}

// virtualFSTypes are file systems that hold no data of the machine's own:
// kernel interfaces, memory, container layers, read-only images, and
// network shares (another machine's disks, whose statfs can hang when the
// server is gone).
var virtualFSTypes = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devfs": true, "devpts": true, "devtmpfs": true,
	"efivarfs": true, "fdesc": true, "fusectl": true, "hugetlbfs": true, "mqueue": true,
	"nsfs": true, "nullfs": true, "proc": true, "pstore": true, "ramfs": true,
	"rpc_pipefs": true, "securityfs": true, "selinuxfs": true, "sysfs": true,
	"tmpfs": true, "tracefs": true, "overlay": true, "aufs": true, "squashfs": true,
	"iso9660": true, "udf": true, "cd9660": true, "nfs": true, "nfs4": true,
	"cifs": true, "smb3": true, "smbfs": true, "afpfs": true, "webdav": true,
	"9p": true, "virtiofs": true, "ceph": true, "glusterfs": true, "afs": true,
	"lustre": true, "gpfs": true, "drvfs": true,
}

// isRealFS says a file system type holds data on the machine's disks. A
// FUSE file system is real only when it sits on a block device
// ("fuseblk", as ntfs-3g and exfat mounts are); the others ("fuse.sshfs",
// "fuse.rclone") are remote or virtual.
func isRealFS(fsType string) bool {
	if fsType == "" || virtualFSTypes[fsType] {
		return false
	}
	return fsType == "fuseblk" || !strings.HasPrefix(fsType, "fuse")
}

// realMounts keeps the mounts of real file systems, each device once, in
// order of mount point. A device mounted more than once (bind mounts, the
// subvolumes of one btrfs) is kept at its shortest mount point, usually
// the one people know it by. A device named "none" or nothing tells no
// device, so such mounts are never merged.
func realMounts(mounts []mount) []mount {
	byDevice := map[string]int{}
	var out []mount
	for _, m := range mounts {
		if !isRealFS(m.FSType) || m.Point == "" {
			continue
		}
		key := m.Device
		if key == "" || key == "none" {
			out = append(out, m)
			continue
		}
		if i, seen := byDevice[key]; seen {
			if len(m.Point) < len(out[i].Point) {
				out[i] = m
			}
			continue
		}
		byDevice[key] = len(out)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b mount) int { return cmp.Compare(a.Point, b.Point) })
	return slices.CompactFunc(out, func(a, b mount) bool { return a.Point == b.Point })
}
