package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

func TestRealMounts(t *testing.T) {
	tests := []struct {
		name string
		in   []mount
		want []mount
	}{
		{"ContainerVM", []mount{ // this machine's /proc/mounts
			{"proc", "/proc", "proc"},
			{"sysfs", "/sys", "sysfs"},
			{"devtmpfs", "/dev", "devtmpfs"},
			{"tmpfs", "/dev/shm", "tmpfs"},
			{"devpts", "/dev/pts", "devpts"},
			{"/dev/vda", "/", "ext4"},
			{"tmpfs", "/sys/fs/cgroup", "tmpfs"},
			{"cgroup", "/sys/fs/cgroup/cpu", "cgroup"},
			{"cgroup2", "/sys/fs/cgroup/unified", "cgroup2"},
		}, []mount{{"/dev/vda", "/", "ext4"}}},
		{"BindMountsAndSubvolumesOnce", []mount{
			{"/dev/sda2", "/home", "btrfs"},
			{"/dev/sda2", "/", "btrfs"},
			{"/dev/sda2", "/var/lib/docker/btrfs", "btrfs"},
			{"/dev/sda1", "/boot/efi", "vfat"},
		}, []mount{{"/dev/sda2", "/", "btrfs"}, {"/dev/sda1", "/boot/efi", "vfat"}}},
		{"SnapsImagesAndSharesSkipped", []mount{
			{"/dev/loop3", "/snap/core22/1033", "squashfs"},
			{"overlay", "/var/lib/docker/overlay2/abc/merged", "overlay"},
			{"server:/export", "/mnt/nfs", "nfs4"},
			{"//nas/share", "/mnt/smb", "cifs"},
			{"ann@host:", "/mnt/sshfs", "fuse.sshfs"},
			{"/dev/sdb1", "/media/usb", "fuseblk"},
			{"/dev/sr0", "/media/cdrom", "iso9660"},
		}, []mount{{"/dev/sdb1", "/media/usb", "fuseblk"}}},
		{"ZFSDatasetsAreTheirOwn", []mount{
			{"rpool/ROOT/ubuntu", "/", "zfs"},
			{"rpool/USERDATA/ann", "/home/ann", "zfs"},
		}, []mount{{"rpool/ROOT/ubuntu", "/", "zfs"}, {"rpool/USERDATA/ann", "/home/ann", "zfs"}}},
		{"NoDeviceNeverMerged", []mount{
			{"none", "/a", "ext4"},
			{"none", "/b", "ext4"},
			{"/dev/x", "", "ext4"},
		}, []mount{{"none", "/a", "ext4"}, {"none", "/b", "ext4"}}},
		{"MacOS", []mount{
			{"/dev/disk3s1s1", "/", "apfs"},
			{"devfs", "/dev", "devfs"},
			{"map auto_home", "/System/Volumes/Data/home", "autofs"},
			{"/dev/disk4s1", "/Volumes/Backup", "hfs"},
		}, []mount{{"/dev/disk3s1s1", "/", "apfs"}, {"/dev/disk4s1", "/Volumes/Backup", "hfs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := realMounts(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("realMounts =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestVolumeCountsAsDf(t *testing.T) {
	// df: 1B-blocks 100 GiB, Used 60 GiB, Available 35 GiB (5 GiB reserved
	// for root), Use% 63.
	v := volume(mount{"/dev/sda1", "/", "ext4"}, 60<<30, 35<<30)
	want := agentproto.Volume{Mount: "/", FSType: "ext4", TotalBytes: 95 << 30, UsedBytes: 60 << 30}
	if v != want {
		t.Errorf("volume = %+v, want %+v", v, want)
	}
	if p := v.UsedPercent(); p < 63 || p > 64 {
		t.Errorf("used %.1f%%, df says 63%%", p)
	}
}
