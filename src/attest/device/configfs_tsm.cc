// SPDX-License-Identifier: Apache-2.0
// configfs-tsm report entries: the kernel ABI in Documentation/ABI/testing/configfs-tsm.
#include "attest/device/configfs_tsm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>

#include "common/files.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::attest {
namespace {

// errno is read before `what` is built, which may allocate.
Error lastSysError(std::string_view what, const std::filesystem::path& path) {
  const int err = errno;
  return errnoError(err, fmt::format("{} {}", what, path.string()));
}

class KernelTsmEntryOps : public TsmEntryOps {
 public:
  Status makeEntry(const std::filesystem::path& entry) override {
    if (::mkdir(entry.c_str(), 0700) != 0) {
      return fail(lastSysError("creating configfs-tsm entry", entry));
    }
    return okStatus();
  }
  Status removeEntry(const std::filesystem::path& entry) override {
    if (::rmdir(entry.c_str()) != 0) {
      return fail(lastSysError("removing configfs-tsm entry", entry));
    }
    return okStatus();
  }
};

}  // namespace

TsmEntryOps& kernelTsmEntryOps() {
  static KernelTsmEntryOps ops;
  return ops;
}

namespace device {
namespace {

constexpr std::size_t kMaxBlobBytes = 1 << 20;
constexpr std::size_t kMaxAttributeBytes = 4096;

// Removes the entry when it goes out of scope; configfs keeps it (and the report) until
// rmdir, so a leak would pin kernel memory.
class Entry {
 public:
  static Result<Entry> create(const TeeEnvironment& env) {
    static std::atomic<unsigned> sequence{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    auto path = env.tsmReportDir() /
                fmt::format("cocoon-{}-{}-{:x}", ::getpid(), sequence.fetch_add(1), stamp);
    COCOON_TRY(env.tsmOps().makeEntry(path));
    return Entry(env.tsmOps(), std::move(path));
  }
  Entry(Entry&& other) noexcept : ops_(other.ops_), path_(std::move(other.path_)) {
    other.path_.clear();
  }
  Entry& operator=(Entry&&) = delete;
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;
  ~Entry() {
    if (!path_.empty()) {
      (void)ops_.removeEntry(path_);
    }
  }
  std::filesystem::path attribute(std::string_view name) const { return path_ / name; }

 private:
  Entry(TsmEntryOps& ops, std::filesystem::path path) : ops_(ops), path_(std::move(path)) {}
  TsmEntryOps& ops_;
  std::filesystem::path path_;
};

// configfs attributes take one write(2) each: a short write would be a partial value.
Status writeAttribute(const std::filesystem::path& path, ByteSpan data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    return fail(lastSysError("opening", path));
  }
  const ssize_t n = ::write(fd.get(), data.data(), data.size());
  if (n < 0) {
    return fail(lastSysError("writing", path));
  }
  if (static_cast<std::size_t>(n) != data.size()) {
    return fail(Code::kInternal, "writing {}: {} of {} bytes written", path.string(), n,
                data.size());
  }
  if (const int err = fd.closeChecked(); err != 0) {
    return fail(errnoError(err, "closing " + path.string()));
  }
  return okStatus();
}

Result<std::string> readAttributeText(const std::filesystem::path& path) {
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, kMaxAttributeBytes));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Status checkGeneration(const Entry& entry, std::uint64_t writes, std::string_view after) {
  COCOON_ASSIGN_OR_RETURN(std::string text, readAttributeText(entry.attribute("generation")));
  std::uint64_t generation = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), generation);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return fail(Code::kInternal, "configfs-tsm generation {:?} is not a number", text);
  }
  if (generation != writes) {
    return fail(Code::kAborted,
                "configfs-tsm generation after reading {} is {}, expected {}: another writer "
                "used the report entry",
                after, generation, writes);
  }
  return okStatus();
}

Status checkProvider(const Entry& entry, std::string_view wanted) {
  COCOON_ASSIGN_OR_RETURN(std::string provider, readAttributeText(entry.attribute("provider")));
  if (provider != wanted) {
    return fail(Code::kFailedPrecondition, "configfs-tsm provider is {:?}, expected {:?}", provider,
                wanted);
  }
  return okStatus();
}

Status checkReportDir(const TeeEnvironment& env) {
  std::error_code ec;
  if (!std::filesystem::is_directory(env.tsmReportDir(), ec)) {
    return fail(Code::kNotFound, "no configfs-tsm at {}", env.tsmReportDir().string());
  }
  return okStatus();
}

}  // namespace

Result<TsmReport> generateTsmReport(const TeeEnvironment& env, const TsmRequest& request) {
  COCOON_TRY(checkReportDir(env));
  COCOON_ASSIGN_OR_RETURN(Entry entry, Entry::create(env));
  COCOON_TRY(checkProvider(entry, request.provider));
  std::uint64_t writes = 0;
  if (request.privlevel) {
    COCOON_TRY(
        writeAttribute(entry.attribute("privlevel"), asBytes(std::to_string(*request.privlevel))));
    ++writes;
  }
  COCOON_TRY(writeAttribute(entry.attribute("inblob"), request.inblob));
  ++writes;
  TsmReport report;
  COCOON_ASSIGN_OR_RETURN(report.outblob, readFile(entry.attribute("outblob"), kMaxBlobBytes));
  COCOON_TRY(checkGeneration(entry, writes, "outblob"));
  if (report.outblob.empty()) {
    return fail(Code::kUnavailable, "configfs-tsm outblob is empty");
  }
  if (request.want_auxblob) {
    auto aux = readFile(entry.attribute("auxblob"), kMaxBlobBytes);
    if (!aux && aux.error().code != Code::kNotFound) {
      return fail(std::move(aux).error());
    }
    if (aux && !aux->empty()) {
      report.auxblob = std::move(*aux);
    }
    COCOON_TRY(checkGeneration(entry, writes, "auxblob"));
  }
  return report;
}

Result<std::string> readTsmProvider(const TeeEnvironment& env) {
  COCOON_TRY(checkReportDir(env));
  COCOON_ASSIGN_OR_RETURN(Entry entry, Entry::create(env));
  return readAttributeText(entry.attribute("provider"));
}

Result<TeeInterface> chooseTeeInterface(const TeeEnvironment& env,
                                        std::optional<TeeInterface> wanted,
                                        std::string_view provider,
                                        const std::filesystem::path& device, std::string_view tee) {
  if (wanted) {
    if (*wanted != TeeInterface::kConfigfsTsm && *wanted != TeeInterface::kDevice) {
      return fail(Code::kInvalidArgument, "the {} attester cannot use the {} interface", tee,
                  teeInterfaceName(*wanted));
    }
    return *wanted;
  }
  auto found = readTsmProvider(env);
  if (found && *found == provider) {
    return TeeInterface::kConfigfsTsm;
  }
  std::error_code ec;
  if (std::filesystem::exists(device, ec)) {
    return TeeInterface::kDevice;
  }
  return fail(Code::kNotFound, "no {} guest interface: no {} provider at {} and no {}", tee,
              provider, env.tsmReportDir().string(), device.string());
}

}  // namespace device
}  // namespace cocoon::attest
