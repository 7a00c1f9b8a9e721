// SPDX-License-Identifier: Apache-2.0
// Starts and stops a private PostgreSQL 15 cluster for tests (see ENVIRONMENT.md).
#include "support/postgres.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "common/files.h"
#include "common/subprocess.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::test {
namespace {

namespace fs = std::filesystem;

const fs::path kBinDir = "/usr/lib/postgresql/15/bin";
// With listen_addresses='' the port only names the socket file, which lives in our dir.
constexpr int kPort = 5432;

struct Account {
  uid_t uid;
  gid_t gid;
};

Result<Account> postgresAccount() {
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    return fail(Code::kFailedPrecondition, "there is no user 'postgres' to run PostgreSQL as");
  }
  return Account{pw->pw_uid, pw->pw_gid};
}

// A directory the server (user postgres) owns.
Status makeOwnedDir(const fs::path& dir, const Account& account) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(errnoError(errno, fmt::format("creating {}", dir.string())));
  }
  if (::chown(dir.c_str(), account.uid, account.gid) != 0) {
    return fail(errnoError(errno, fmt::format("giving {} to postgres", dir.string())));
  }
  return okStatus();
}

Status run(std::vector<std::string> argv, const fs::path& cwd) {
  SubprocessOptions options;
  options.argv = std::move(argv);
  options.cwd = cwd;
  options.timeout = std::chrono::seconds(60);
  COCOON_ASSIGN_OR_RETURN(SubprocessResult r, runSubprocess(options));
  if (r.exit_code != 0) {
    return fail(Code::kInternal, "{} failed (exit {}{}): {}{}", options.argv.front(), r.exit_code,
                r.timed_out ? ", timed out" : "", r.stdout_data, r.stderr_data);
  }
  return okStatus();
}

Status runAsPostgres(const fs::path& program, std::vector<std::string> args, const fs::path& cwd) {
  std::vector<std::string> argv = {"runuser", "-u", "postgres", "--", program.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(std::move(argv), cwd);
}

Status initdb(const fs::path& data, const Account& account) {
  COCOON_TRY(makeOwnedDir(data, account));
  // -N: no fsync; a test cluster need not survive a power cut. 1 MiB WAL segments
  // instead of 16 keep the cluster small to copy.
  return runAsPostgres(kBinDir / "initdb",
                       {"-D", data.string(), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                        "--no-locale", "-N", "--wal-segsize=1"},
                       data.parent_path());
}

// `cache`/data, a cluster that initdb made once; concurrent test processes wait on a lock
// file while one of them builds it, and it is published by a rename.
Result<fs::path> templateCluster(const fs::path& cache, const Account& account) {
  const fs::path ready = cache / "data";
  std::error_code ec;
  if (fs::exists(ready / "PG_VERSION", ec)) {
    return ready;
  }
  fs::create_directories(cache, ec);
  if (ec) {
    return fail(Code::kInternal, "creating {}: {}", cache.string(), ec.message());
  }
  const fs::path lock_path = cache / "lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0) {
    return fail(errnoError(errno, fmt::format("locking {}", lock_path.string())));
  }
  if (fs::exists(ready / "PG_VERSION", ec)) {
    return ready;
  }
  const fs::path building = cache / fmt::format("building-{}", ::getpid());
  fs::remove_all(building, ec);
  COCOON_TRY(initdb(building, account));
  fs::rename(building, ready, ec);
  if (ec) {
    return fail(Code::kInternal, "publishing {}: {}", ready.string(), ec.message());
  }
  return ready;
}

// A fresh directory for one cluster, in memory (/dev/shm) when there is one: copying and
// writing a cluster on the disk of a busy CI machine took seconds per test.
Result<fs::path> makeClusterDir() {
  std::error_code ec;
  const fs::path base =
      fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path(ec);
  std::string templ = (base / "cocoon-pg-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return fail(errnoError(errno, fmt::format("creating a directory in {}", base.string())));
  }
  return fs::path(templ);
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start(const fs::path& template_cache) {
  if (::geteuid() != 0) {
    return fail(Code::kFailedPrecondition,
                "PostgreSQL tests need root (the server runs as user postgres)");
  }
  std::error_code ec;
  if (!fs::exists(kBinDir / "pg_ctl", ec)) {
    return fail(Code::kFailedPrecondition, "PostgreSQL 15 is not installed ({} is missing)",
                (kBinDir / "pg_ctl").string());
  }
  COCOON_ASSIGN_OR_RETURN(Account account, postgresAccount());
  COCOON_ASSIGN_OR_RETURN(fs::path root, makeClusterDir());
  std::unique_ptr<PostgresServer> server(new PostgresServer(root));
  if (::chown(root.c_str(), account.uid, account.gid) != 0) {
    return fail(errnoError(errno, fmt::format("giving {} to postgres", root.string())));
  }
  const fs::path data = root / "data";
  if (template_cache.empty()) {
    COCOON_TRY(initdb(data, account));
  } else {
    COCOON_ASSIGN_OR_RETURN(fs::path source, templateCluster(template_cache, account));
    COCOON_TRY(run({"cp", "-a", source.string(), data.string()}, root));
  }
  COCOON_TRY(makeOwnedDir(root / "sock", account));
  const std::string server_options = fmt::format("-p {} -k {} -c listen_addresses='' -c fsync=off",
                                                 kPort, (root / "sock").string());
  Status started = runAsPostgres(kBinDir / "pg_ctl",
                                 {"-D", data.string(), "-l", (root / "server.log").string(), "-o",
                                  server_options, "-w", "-t", "60", "start"},
                                 root);
  if (!started) {
    auto log = readTextFile(root / "server.log", 64 * 1024);
    return fail(Code::kInternal, "{}\nserver log:\n{}", started.error().toString(),
                log ? *log : std::string("(none)"));
  }
  server->running_ = true;
  return server;
}

PostgresServer::~PostgresServer() {
  if (running_) {
    // Immediate: nothing in a test cluster needs a clean shutdown checkpoint.
    (void)runAsPostgres(kBinDir / "pg_ctl",
                        {"-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"}, dir_);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::url(std::string_view database) const {
  return fmt::format("postgresql://postgres@/{}?host={}&port={}", database,
                     (dir_ / "sock").string(), kPort);
}

Status PostgresServer::execute(std::string_view sql, std::string_view database) const {
  const std::string conninfo = url(database);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    const std::string text(sql);
    PGresult* result = PQexec(conn, text.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(result);
    }
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) {
    return fail(Code::kInternal, "running '{}' on the test PostgreSQL: {}", sql, error);
  }
  return okStatus();
}

Result<std::string> PostgresServer::createDatabase(std::string_view name) const {
  // FILE_COPY: with fsync off, copying the template's files beats logging them (WAL_LOG).
  COCOON_TRY(execute(fmt::format("CREATE DATABASE {} STRATEGY FILE_COPY", name)));
  return url(name);
}

}  // namespace cocoon::test
