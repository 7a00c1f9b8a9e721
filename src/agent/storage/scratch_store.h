// SPDX-License-Identifier: Apache-2.0
// The agent's encrypted image store on the scratch disk the launcher attaches (virtio-blk
// serial "scratch"): formatted at every boot as LUKS2 with dm-crypt + dm-integrity under a
// volume key generated in the guest, never written to a key slot and wiped from memory once
// the mapping is active; then an ext4 file system, mounted where the agent keeps its store.
// Trust: the disk's contents and its header are the host's (it sees and may change them);
// the guest reads nothing from the disk it did not write under the key (integrity tags).
// sysfs belongs to the guest kernel.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cocoon::agent::storage {

// The virtio-blk serial the VM launcher gives the scratch disk (runtime/vm).
inline constexpr std::string_view kScratchSerial = "scratch";

// The block device whose <sys_block>/<name>/serial holds `serial` (trailing blanks and
// newlines ignored), as <dev_dir>/<name>.
// Errors: kNotFound naming the serial and sys_block when no device has it.
Result<std::filesystem::path> findDiskBySerial(
    std::string_view serial, const std::filesystem::path& sys_block = "/sys/block",
    const std::filesystem::path& dev_dir = "/dev");

struct ScratchStoreOptions {
  std::filesystem::path device;                 // the raw scratch disk, e.g. /dev/vdb
  std::string mapping = "cocoon-store";         // the device-mapper name (/dev/mapper/<mapping>)
  std::filesystem::path mount_point;            // created if missing
  std::filesystem::path mkfs = "/sbin/mke2fs";  // e2fsprogs' (busybox's cannot make ext4)
  // Zero the whole mapped device before mkfs so that every sector has a valid tag. It costs
  // one full write of the disk through dm-crypt and dm-integrity (minutes for the default
  // 10 GiB under TCG) and makes the host's sparse file fully allocated. Without it
  // (cryptsetup's --integrity-no-wipe) a read of a sector nothing wrote yet is an I/O
  // error; only the first 64 KiB of every 128 MiB block group and the last MiB are wiped
  // (where mke2fs writes less than a page), and the file system reads only what it wrote.
  bool wipe = false;
};

// What setupScratchStore made, for the one log line.
struct ScratchStoreInfo {
  std::filesystem::path device;
  std::filesystem::path mapped;            // /dev/mapper/<mapping>
  std::uint64_t device_bytes = 0;          // the raw disk
  std::uint64_t data_bytes = 0;            // the mapped device (after header and integrity tags)
  std::string cipher;                      // "aes-xts-plain64"
  std::string integrity;                   // "hmac(sha256)"
  std::chrono::milliseconds took{0};       // all of it, of which:
  std::chrono::milliseconds activated{0};  // LUKS2 format and activation
  std::chrono::milliseconds wiped{0};
  std::chrono::milliseconds formatted{0};  // mkfs
  // "encrypted store on /dev/vdb: dm-crypt aes-xts-plain64 + dm-integrity hmac(sha256),
  //  N MiB usable of M MiB, mounted on P (T ms: LUKS2 A ms, wipe W ms, mkfs F ms)".
  std::string describe(const std::filesystem::path& mount_point) const;
};

// Formats options.device as LUKS2 (aes-xts-plain64, 512-bit key, with dm-integrity tags
// hmac(sha256), 4 KiB sectors, no journal), activates it by volume key, wipes it (when
// options.wipe), makes ext4 on the mapping with `mkfs -t ext4 -O ^has_journal
// -E lazy_itable_init=1,nodiscard -b 4096 -m 0 -i 16384` and mounts it (nodev, nosuid,
// noinit_itable) on options.mount_point. The volume key (96 random bytes from
// RAND_priv_bytes) lives only in this call's memory and is zeroed before it returns.
// Everything on the device is lost. On failure the mapping is removed again.
// Errors: kNotFound for a missing device or mkfs; kInternal (or the errno's code) naming
// the step that failed (format, activate, wipe, mkfs, mount) with libcryptsetup's last
// message; nothing is ever left mounted unencrypted.
// REQUIRES: root, device-mapper (dm-crypt, dm-integrity) and the ciphers in the kernel.
Result<ScratchStoreInfo> setupScratchStore(const ScratchStoreOptions& options);

// The file in a state directory that says why the store could not be set up; guest pulls
// read it (checkStoreUsable) and refuse.
inline constexpr std::string_view kStoreErrorFile = "store-setup-error";

// Writes `error` to <state_dir>/store-setup-error. Errors: file writes.
Status recordStoreFailure(const std::filesystem::path& state_dir, const Error& error);

// OK unless <state_dir>/store-setup-error exists; then kFailedPrecondition "the agent's
// image store could not be set up: <reason>".
Status checkStoreUsable(const std::filesystem::path& state_dir);

// Where PID 1 mounts the encrypted file system, under state_dir.
inline constexpr std::string_view kDiskMountDir = "disk";
// The state_dir subdirectories that hold image and container data and so live on the
// encrypted disk: the layer store (agent/guest_pull.cc) and the bundles, with the
// containers' writable layers (agent/agent_service.cc). The rest of state_dir (the OCI
// runtime's state, settings files) stays on the tmpfs, so the agent can use it before the
// store is ready.
inline constexpr std::array<std::string_view, 2> kDiskBackedDirs = {"store", "containers"};

// How PID 1 set up the store, for its log.
struct GuestStoreOutcome {
  bool encrypted = false;  // the scratch disk holds state_dir's kDiskBackedDirs
  std::string summary;     // describe()'s line, or why the store is the tmpfs
  Status status;           // a failure also recorded with recordStoreFailure
};

// PID 1's store: the disk with serial "scratch" set up by setupScratchStore, mounted on
// <state_dir>/disk, with <state_dir>/<dir> bind-mounted from <state_dir>/disk/<dir> for
// each of kDiskBackedDirs. A bind target that already holds files is a failure (they would
// be hidden). Without such a disk, the store stays on the tmpfs (status OK, encrypted
// false). Any failure is recorded in state_dir (so pulls refuse with the reason) and
// returned, with the disk unmounted and its mapping removed; it never falls back to an
// unencrypted disk.
GuestStoreOutcome setupGuestStore(const std::filesystem::path& state_dir,
                                  const std::filesystem::path& sys_block = "/sys/block");

}  // namespace cocoon::agent::storage
