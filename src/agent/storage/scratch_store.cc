// SPDX-License-Identifier: Apache-2.0
// Setting up the encrypted scratch-disk store with libcryptsetup, e2fsprogs' mke2fs and
// mount(2).
#include "agent/storage/scratch_store.h"

#include <fcntl.h>
#include <libcryptsetup.h>
#include <openssl/rand.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "agent/storage/internal/cryptsetup_library.h"
#include "common/bytes.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::agent::storage {
namespace {

namespace fs = std::filesystem;
using internal::CryptsetupLibrary;
using Clock = std::chrono::steady_clock;

constexpr char kCipher[] = "aes";
constexpr char kCipherMode[] = "xts-plain64";
constexpr char kIntegrity[] = "hmac(sha256)";
// aes-xts takes two AES-256 keys; dm-integrity's hmac(sha256) key comes after them in
// LUKS2's volume key (cryptsetup's --key-size 512 --integrity hmac-sha256).
constexpr std::size_t kCipherKeyBytes = 64;
constexpr std::size_t kIntegrityKeyBytes = 32;
// 4 KiB sectors: one tag per page, the unit in which the page cache writes.
constexpr std::uint32_t kSectorBytes = 4096;
constexpr std::uint64_t kLuksMetadataBytes = 16384;
constexpr std::uint64_t kLuksKeyslotsBytes = 4096;
// dm-integrity reserves (and at format time writes) a journal even when it runs without
// one: keep it small.
constexpr std::uint64_t kIntegrityJournalBytes = std::uint64_t{1} << 20;
constexpr std::size_t kWipeBlockBytes = std::size_t{1} << 20;
// ext4 with 4 KiB blocks: 32768 blocks (one bitmap block) per group.
constexpr std::uint64_t kGroupBytes = std::uint64_t{128} << 20;
// mke2fs writes the superblock and its backups (at the start of groups 0, 1 and the powers
// of 3, 5 and 7) as 1 KiB pieces of their group's first block, and reads the first blocks
// of the disk before it writes them.
constexpr std::uint64_t kGroupHeadBytes = 4096;
constexpr std::uint64_t kDiskHeadBytes = std::uint64_t{64} << 10;
constexpr std::uint64_t kTailBytes = std::uint64_t{1} << 20;

std::chrono::milliseconds elapsed(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0')) {
    text.pop_back();
  }
  return text;
}

// libcryptsetup's errors arrive through its log callback, not its return codes.
void keepLastError(int level, const char* msg, void* usrptr) {
  if (level == CRYPT_LOG_ERROR && msg != nullptr) {
    *static_cast<std::string*>(usrptr) = trimmed(msg);
  }
}

Error cryptError(int rc, std::string_view step, const fs::path& device, const std::string& last) {
  const int err = rc < 0 ? -rc : EIO;
  return Error{codeFromErrno(err), fmt::format("{} {}: {}{}{}", step, device.string(),
                                               std::strerror(err), last.empty() ? "" : ": ", last)};
}

Result<std::uint64_t> sizeOf(const fs::path& device) {
  UniqueFd fd(::open(device.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return fail(errnoError(errno, "open scratch disk " + device.string()));
  }
  const off_t end = ::lseek(fd.get(), 0, SEEK_END);
  if (end < 0) {
    return fail(errnoError(errno, "size of scratch disk " + device.string()));
  }
  return static_cast<std::uint64_t>(end);
}

// Owns the crypt_device handle (which holds its own copy of the volume key until freed)
// and removes the mapping unless keep()'d. REQUIRES: `crypt` outlives it.
class CryptDevice {
 public:
  explicit CryptDevice(const CryptsetupLibrary& crypt) : crypt_(crypt) {}
  CryptDevice(const CryptDevice&) = delete;
  CryptDevice& operator=(const CryptDevice&) = delete;
  ~CryptDevice() {
    if (cd_ != nullptr && active_ && !keep_) {
      crypt_.deactivate(cd_, mapping_.c_str());
    }
    if (cd_ != nullptr) {
      crypt_.free_device(cd_);
    }
  }
  const CryptsetupLibrary& crypt() const { return crypt_; }
  crypt_device** handle() { return &cd_; }
  crypt_device* get() { return cd_; }
  void activated(std::string mapping) {
    mapping_ = std::move(mapping);
    active_ = true;
  }
  void keep() { keep_ = true; }

 private:
  const CryptsetupLibrary& crypt_;
  crypt_device* cd_ = nullptr;
  std::string mapping_;
  bool active_ = false;
  bool keep_ = false;
};

// Formats and activates the LUKS2 device; the key never leaves this function's frame.
//
// Why LUKS2 activated by volume key and no key slot: the store lives for one boot, so no
// one ever needs to unlock it again, and a key slot on a disk the host holds would only be
// something for the host to attack. LUKS2 is what libcryptsetup offers for dm-crypt over
// dm-integrity (plain mode has no integrity); its header holds a PBKDF2 digest of the
// 768-bit random key, which gives nothing to a brute-force search.
// Why no dm-integrity journal: the journal makes tags and data consistent across a crash,
// and after a crash this store is formatted anew anyway; without it writes cost half.
Status formatAndActivate(CryptDevice& cd, const ScratchStoreOptions& options, std::string& last) {
  SecretBytes key(kCipherKeyBytes + kIntegrityKeyBytes);
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return fail(Code::kInternal, "RAND_priv_bytes for the scratch store key failed");
  }
  crypt_pbkdf_type pbkdf{};
  pbkdf.type = CRYPT_KDF_PBKDF2;  // only for the header's key digest: no key slot exists
  pbkdf.hash = "sha256";
  pbkdf.iterations = 1000;
  pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
  crypt_params_luks2 params{};
  params.pbkdf = &pbkdf;
  params.integrity = kIntegrity;
  params.sector_size = kSectorBytes;
  const auto* raw_key = reinterpret_cast<const char*>(key.data());
  // The smallest LUKS2 metadata and keyslot areas: no key slot is ever written, and
  // crypt_format zeroes both areas on the disk.
  if (int rc = cd.crypt().set_metadata_size(cd.get(), kLuksMetadataBytes, kLuksKeyslotsBytes);
      rc < 0) {
    return fail(cryptError(rc, "LUKS2 metadata size for", options.device, last));
  }
  crypt_params_integrity integrity{};
  integrity.journal_size = kIntegrityJournalBytes;
  params.integrity_params = &integrity;
  if (int rc = cd.crypt().format(cd.get(), CRYPT_LUKS2, kCipher, kCipherMode, nullptr, raw_key,
                                 key.size(), &params);
      rc < 0) {
    return fail(cryptError(rc, "LUKS2 format of", options.device, last));
  }
  if (int rc = cd.crypt().activate_by_volume_key(cd.get(), options.mapping.c_str(), raw_key,
                                                 key.size(), CRYPT_ACTIVATE_NO_JOURNAL);
      rc < 0) {
    return fail(cryptError(rc, "activating " + options.mapping + " on", options.device, last));
  }
  cd.activated(options.mapping);
  return okStatus();
}

// Writes zeros over each (offset, length) of `device` through one O_DIRECT descriptor, so
// that they reach dm-crypt now (and get tags) and no page cache holds the device's pages;
// one descriptor and one sync for all: opening the device per area cost ~8 ms a time
// under TCG (crypt_wipe does).
Status zeroAreas(const fs::path& device,
                 const std::vector<std::pair<std::uint64_t, std::uint64_t>>& areas) {
  UniqueFd fd(::open(device.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
  if (!fd.valid()) {
    return fail(errnoError(errno, "open " + device.string() + " to wipe it"));
  }
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  // O_DIRECT needs a buffer aligned to the logical block size (4 KiB here).
  std::unique_ptr<void, FreeDeleter> zeros(std::aligned_alloc(kSectorBytes, kWipeBlockBytes));
  if (!zeros) {
    return fail(Code::kResourceExhausted, "no memory for a {} byte wipe buffer", kWipeBlockBytes);
  }
  std::memset(zeros.get(), 0, kWipeBlockBytes);
  for (const auto& [offset, length] : areas) {
    for (std::uint64_t done = 0; done < length;) {
      const std::size_t chunk =
          static_cast<std::size_t>(std::min<std::uint64_t>(kWipeBlockBytes, length - done));
      const ssize_t n = ::pwrite(fd.get(), zeros.get(), chunk, static_cast<off_t>(offset + done));
      if (n <= 0) {
        return fail(errnoError(n < 0 ? errno : EIO,
                               fmt::format("wiping {} bytes at {} of {}", length - done,
                                           offset + done, device.string())));
      }
      done += static_cast<std::uint64_t>(n);
    }
  }
  if (::fdatasync(fd.get()) != 0) {
    return fail(errnoError(errno, "fdatasync " + device.string() + " after wiping it"));
  }
  return okStatus();
}

// Bind-mounts `source` (made if missing) onto `target`, which must be empty or missing.
Status bindEmptyDir(const fs::path& source, const fs::path& target) {
  COCOON_TRY(createDirectories(source));
  COCOON_TRY(createDirectories(target));
  std::error_code ec;
  const bool empty = fs::is_empty(target, ec);
  if (ec) {
    return fail(Code::kInternal, "reading {}: {}", target.string(), ec.message());
  }
  if (!empty) {
    return fail(Code::kFailedPrecondition,
                "{} already holds files, which the encrypted store would hide", target.string());
  }
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return fail(errnoError(errno, fmt::format("bind {} on {}", source.string(), target.string())));
  }
  return okStatus();
}

// Binds <disk>/<dir> onto <state_dir>/<dir> for each of kDiskBackedDirs; on failure the
// binds made so far are undone.
Status bindDiskBackedDirs(const fs::path& state_dir, const fs::path& disk) {
  std::vector<fs::path> bound;
  for (std::string_view name : kDiskBackedDirs) {
    if (Status made = bindEmptyDir(disk / name, state_dir / name); !made) {
      for (const fs::path& target : bound) {
        ::umount2(target.c_str(), MNT_DETACH);
      }
      return made;
    }
    bound.push_back(state_dir / name);
  }
  return okStatus();
}

// Unmounts a store setupScratchStore made and removes its mapping (best effort: this runs
// on a failure path that reports the first error). REQUIRES: setupScratchStore succeeded,
// so libcryptsetup is loaded.
void removeScratchStore(const ScratchStoreOptions& options) {
  ::umount2(options.mount_point.c_str(), MNT_DETACH);
  if (auto crypt = internal::loadCryptsetupLibrary()) {
    (*crypt)->deactivate(nullptr, options.mapping.c_str());
  }
}

}  // namespace

Result<fs::path> findDiskBySerial(std::string_view serial, const fs::path& sys_block,
                                  const fs::path& dev_dir) {
  std::error_code ec;
  std::string seen;  // for the error: what each device said
  for (const auto& entry : fs::directory_iterator(sys_block, ec)) {
    // virtio-blk shows the serial at <dev>/serial; others (SCSI) at <dev>/device/serial.
    for (const fs::path& file : {entry.path() / "serial", entry.path() / "device" / "serial"}) {
      auto text = readTextFile(file, 4096);
      if (text && trimmed(*text) == serial) {
        return dev_dir / entry.path().filename();
      }
      if (text || text.error().code != Code::kNotFound) {
        seen += fmt::format("{}{} {}", seen.empty() ? "" : ", ", entry.path().filename().string(),
                            text ? "serial \"" + trimmed(*text) + "\"" : text.error().toString());
      }
    }
  }
  return fail(Code::kNotFound, "no block device with serial \"{}\" under {} (seen: {})", serial,
              sys_block.string(), seen.empty() ? "none" : seen);
}

std::string ScratchStoreInfo::describe(const fs::path& mount_point) const {
  return fmt::format(
      "encrypted store on {}: dm-crypt {} + dm-integrity {}, {} MiB usable of {} MiB, mounted "
      "on {} ({} ms: LUKS2 {} ms, wipe {} ms, mkfs {} ms)",
      device.string(), cipher, integrity, data_bytes >> 20, device_bytes >> 20,
      mount_point.string(), took.count(), activated.count(), wiped.count(), formatted.count());
}

Result<ScratchStoreInfo> setupScratchStore(const ScratchStoreOptions& options) {
  const auto started = Clock::now();
  ScratchStoreInfo info;
  info.device = options.device;
  info.mapped = fs::path("/dev/mapper") / options.mapping;
  info.cipher = std::string(kCipher) + "-" + kCipherMode;
  info.integrity = kIntegrity;
  COCOON_ASSIGN_OR_RETURN(info.device_bytes, sizeOf(options.device));
  if (::access(options.mkfs.c_str(), X_OK) != 0) {
    return fail(Code::kNotFound, "mkfs {} is not an executable", options.mkfs.string());
  }
  // Without udev in the guest, libdevmapper must create /dev/mapper nodes itself.
  ::setenv("DM_DISABLE_UDEV", "1", 1);
  COCOON_ASSIGN_OR_RETURN(const CryptsetupLibrary* crypt, internal::loadCryptsetupLibrary());
  std::string last;
  CryptDevice cd(*crypt);
  if (int rc = crypt->init(cd.handle(), options.device.c_str()); rc < 0) {
    return fail(cryptError(rc, "crypt_init", options.device, last));
  }
  crypt->set_log_callback(cd.get(), keepLastError, &last);
  COCOON_TRY(formatAndActivate(cd, options, last));
  info.activated = elapsed(started);
  auto phase_started = Clock::now();
  crypt_active_device active{};
  if (int rc = crypt->get_active_device(cd.get(), options.mapping.c_str(), &active); rc < 0) {
    return fail(cryptError(rc, "reading the mapping of", options.device, last));
  }
  info.data_bytes = active.size * 512;  // device-mapper counts 512-byte sectors
  // What is wiped gets valid tags: a read of space nothing wrote yet is an I/O error.
  // Without the full wipe, the places where mke2fs writes less than a 4 KiB page (the boot
  // block and the superblock and its backups at the start of each block group) are wiped,
  // since the page cache would read the rest of the page first; and the end of the disk.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> areas;  // offset, length
  if (options.wipe) {
    areas.emplace_back(0, info.data_bytes);
  } else {
    areas.emplace_back(0, std::min(kDiskHeadBytes, info.data_bytes));
    for (std::uint64_t at = kGroupBytes; at < info.data_bytes; at += kGroupBytes) {
      areas.emplace_back(at, std::min(kGroupHeadBytes, info.data_bytes - at));
    }
    const std::uint64_t tail = std::min(kTailBytes, info.data_bytes);
    areas.emplace_back(info.data_bytes - tail, tail);
  }
  COCOON_TRY(zeroAreas(info.mapped, areas));
  info.wiped = elapsed(phase_started);
  phase_started = Clock::now();
  // ext4 without a journal (after a crash the store is formatted anew), without blocks
  // reserved for growing it (it never grows) and with lazily initialised inode tables:
  // mke2fs writes the superblocks, group descriptors and the bitmaps of used groups, about
  // 230 KiB for 10 GiB, where writing every inode table (busybox's mke2fs, ext2) is 80 MiB
  // through dm-crypt and dm-integrity: 20 s under TCG.
  // The tables are never read before they are written: the groups are marked
  // INODE_UNINIT, ext4 zeroes a table block in memory instead of reading it when no other
  // inode in it is used, and its read-ahead stops at the used part of the table.
  auto mkfs =
      runSubprocess({.argv = {options.mkfs.string(), "-q", "-F", "-t", "ext4", "-O",
                              "^has_journal,^resize_inode", "-E", "lazy_itable_init=1,nodiscard",
                              "-b", "4096", "-m", "0", "-i", "16384", info.mapped.string()},
                     .timeout = std::chrono::minutes(5)});
  if (!mkfs) {
    return fail(Error{mkfs.error().code, "mkfs: " + mkfs.error().message});
  }
  if (mkfs->exit_code != 0) {
    return fail(Code::kInternal, "{} on {} exited {}: {}", options.mkfs.string(),
                info.mapped.string(), mkfs->exit_code, trimmed(mkfs->stderr_data.substr(0, 512)));
  }
  info.formatted = elapsed(phase_started);
  std::error_code ec;
  fs::create_directories(options.mount_point, ec);
  // noinit_itable: no background thread zeroing the inode tables (160 MiB of writes
  // through the crypto on the guest's CPUs while it pulls); see above why none is needed.
  if (::mount(info.mapped.c_str(), options.mount_point.c_str(), "ext4", MS_NODEV | MS_NOSUID,
              "noinit_itable") != 0) {
    return fail(errnoError(
        errno, fmt::format("mount {} on {}", info.mapped.string(), options.mount_point.string())));
  }
  cd.keep();
  info.took = elapsed(started);
  return info;
}

GuestStoreOutcome setupGuestStore(const fs::path& state_dir, const fs::path& sys_block) {
  GuestStoreOutcome out;
  auto disk = findDiskBySerial(kScratchSerial, sys_block);
  if (!disk) {
    out.summary = fmt::format("no scratch disk ({}): the image store is the guest's tmpfs",
                              disk.error().message);
    return out;
  }
  const ScratchStoreOptions options{.device = *disk, .mount_point = state_dir / kDiskMountDir};
  auto failed = [&](Error error) {
    out.status = fail(std::move(error));
    out.summary = fmt::format("encrypted store on {} failed: {}", disk->string(),
                              out.status.error().toString());
    if (auto recorded = recordStoreFailure(state_dir, out.status.error()); !recorded) {
      out.summary += "; recording it failed too: " + recorded.error().toString();
    }
    return out;
  };
  auto info = setupScratchStore(options);
  if (!info) {
    return failed(std::move(info).error());
  }
  if (Status bound = bindDiskBackedDirs(state_dir, options.mount_point); !bound) {
    removeScratchStore(options);
    return failed(std::move(bound).error());
  }
  out.encrypted = true;
  out.summary = info->describe(options.mount_point);
  return out;
}

Status recordStoreFailure(const fs::path& state_dir, const Error& error) {
  COCOON_TRY(createDirectories(state_dir));
  return writeFileAtomic(state_dir / kStoreErrorFile, asBytes(error.toString()));
}

Status checkStoreUsable(const fs::path& state_dir) {
  auto text = readTextFile(state_dir / kStoreErrorFile, 4096);
  if (!text) {
    if (text.error().code == Code::kNotFound) {
      return okStatus();
    }
    return fail(Code::kFailedPrecondition, "the agent's image store state is unreadable: {}",
                text.error().toString());
  }
  return fail(Code::kFailedPrecondition, "the agent's image store could not be set up: {}",
              trimmed(*text));
}

}  // namespace cocoon::agent::storage
