// SPDX-License-Identifier: Apache-2.0
// `cocoon agent-ctl`: one Kata agent API call with a JSON request (as kata-agent-ctl does),
// and `agent-ctl run IMAGE -- CMD...`: create, start and wait for a container in the guest.
//
// Exit statuses: `agent-ctl CALL JSON` 0 on success, 1 when the call fails (the ttrpc
// status is printed); `agent-ctl run` the container's exit status (128+N for signal N), or
// 125 when the agent-ctl run itself fails (as `docker run` does).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cmd/cocoon/command.h"
#include "common/encoding.h"
#include "crypto/random.h"
#include "proto/agent/agent.pb.h"
#include "proto/agent/health.pb.h"
#include "runtime/agent_client/agent_client.h"
#include "ttrpc/address.h"

namespace cocoon::cli {
namespace {

namespace pb = google::protobuf;

constexpr int kExitRunFailed = 125;
constexpr char kAgentService[] = "grpc.AgentService";

// A blocking agent client on `address` ("unix:PATH", "vsock:CID:PORT", "serial:PATH").
Result<std::unique_ptr<runtime::AgentClient>> openAgent(const std::string& address,
                                                        std::string service = kAgentService) {
  COCOON_ASSIGN_OR_RETURN(ttrpc::Address parsed, ttrpc::parseAddress(address));
  return runtime::AgentClient::open(parsed, std::move(service));
}

// "CreateContainer" (grpc.AgentService), "Health.Check" or "grpc.Health/Check".
Result<const pb::MethodDescriptor*> findMethod(const std::string& call) {
  // Referencing the messages links their descriptors into the generated pool.
  (void)grpc::CreateContainerRequest::descriptor();
  (void)grpc::CheckRequest::descriptor();
  std::string service = kAgentService;
  std::string method = call;
  if (auto slash = call.find('/'); slash != std::string::npos) {
    service = call.substr(0, slash);
    method = call.substr(slash + 1);
  } else if (auto dot = call.find('.'); dot != std::string::npos) {
    service = "grpc." + call.substr(0, dot);
    method = call.substr(dot + 1);
  }
  const pb::ServiceDescriptor* s = pb::DescriptorPool::generated_pool()->FindServiceByName(service);
  const pb::MethodDescriptor* m = s == nullptr ? nullptr : s->FindMethodByName(method);
  if (m == nullptr) {
    return fail(Code::kNotFound, "unknown call {}/{} (see `cocoon agent-ctl --help`)", service,
                method);
  }
  return m;
}

int runCall(const std::string& address, const std::string& call, const std::string& json_text) {
  auto method = findMethod(call);
  if (!method) {
    return reportError(method.error());
  }
  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype((*method)->input_type());
  std::unique_ptr<pb::Message> request(prototype->New());
  auto parsed = pb::util::JsonStringToMessage(json_text.empty() ? "{}" : json_text, request.get());
  if (!parsed.ok()) {
    return reportError(
        {Code::kInvalidArgument, fmt::format("request JSON for {}: {}", call, parsed.ToString())});
  }
  auto connection = openAgent(address, (*method)->service()->full_name());
  if (!connection) {
    return reportError(connection.error());
  }
  auto answer = (*connection)->callRaw((*method)->name().c_str(), request->SerializeAsString());
  if (!answer) {
    return reportError(answer.error());
  }
  std::unique_ptr<pb::Message> response(
      pb::MessageFactory::generated_factory()->GetPrototype((*method)->output_type())->New());
  if (!response->ParseFromString(*answer)) {
    return reportError({Code::kInternal, "undecodable " + response->GetTypeName()});
  }
  std::string out;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  (void)pb::util::MessageToJsonString(*response, &out, options);
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

struct RunFlags {
  std::string address;
  std::string image;
  std::vector<std::string> command;
  std::string name;
  bool keep = false;
};

grpc::CreateContainerRequest createRequest(const RunFlags& flags, const std::string& id) {
  grpc::CreateContainerRequest req;
  req.set_container_id(id);
  req.set_exec_id(id);
  // As kata's runtime sends a guest pull (kata_agent.go handleImageGuestPullBlockVolume).
  grpc::Storage* storage = req.add_storages();
  storage->set_driver("image_guest_pull");
  storage->set_source(flags.image);
  storage->set_fstype("overlay");
  storage->set_mount_point("/run/kata-containers/" + id + "/rootfs");
  storage->add_driver_options(R"(image_guest_pull={"metadata":{}})");
  grpc::Spec* spec = req.mutable_oci();
  spec->set_version("1.0.2");
  spec->mutable_root()->set_path("rootfs");
  for (const std::string& arg : flags.command) {
    spec->mutable_process()->add_args(arg);
  }
  // The namespaces a kata runtime asks for (the confidential default policy requires them).
  for (const char* type : {"mount", "ipc", "uts", "pid", "network"}) {
    spec->mutable_linux()->add_namespaces()->set_type(type);
  }
  return req;
}

// Relays one output stream until end of file; stops quietly when the policy denies it.
void relay(runtime::AgentClient& c, const std::string& id, const char* method, std::FILE* out) {
  grpc::ReadStreamRequest req;
  req.set_container_id(id);
  req.set_exec_id(id);
  req.set_len(64 * 1024);
  for (;;) {
    auto chunk = c.call<grpc::ReadStreamResponse>(method, req);
    if (!chunk) {
      if (chunk.error().code != Code::kUnavailable) {
        std::fprintf(stderr, "cocoon: %s: %s\n", method, chunk.error().toString().c_str());
      }
      return;
    }
    if (chunk->data().empty()) {
      return;
    }
    std::fwrite(chunk->data().data(), 1, chunk->data().size(), out);
    std::fflush(out);
  }
}

int runContainer(const RunFlags& flags) {
  auto fail_run = [](const Error& e) {
    reportError(e);
    return kExitRunFailed;
  };
  auto connection = openAgent(flags.address);
  if (!connection) {
    return fail_run(connection.error());
  }
  runtime::AgentClient& c = **connection;
  const std::string id =
      flags.name.empty() ? "ctl-" + hexEncode(crypto::randomBytes(6)) : flags.name;
  auto created = c.call<pb::Empty>("CreateContainer", createRequest(flags, id));
  if (!created) {
    return fail_run(created.error());
  }
  grpc::StartContainerRequest start;
  start.set_container_id(id);
  if (auto started = c.call<pb::Empty>("StartContainer", start); !started) {
    return fail_run(started.error());
  }
  std::thread out([&] { relay(c, id, "ReadStdout", stdout); });
  std::thread err([&] { relay(c, id, "ReadStderr", stderr); });
  grpc::WaitProcessRequest wait;
  wait.set_container_id(id);
  wait.set_exec_id(id);
  auto status = c.call<grpc::WaitProcessResponse>("WaitProcess", wait);
  out.join();
  err.join();
  if (!flags.keep) {
    grpc::RemoveContainerRequest remove;
    remove.set_container_id(id);
    if (auto removed = c.call<pb::Empty>("RemoveContainer", remove); !removed) {
      reportError(removed.error());
    }
  }
  if (!status) {
    return fail_run(status.error());
  }
  return status->status() & 0xff;
}

}  // namespace

void registerAgentCtlCommands(CLI::App& app, Action& action) {
  auto* ctl = app.add_subcommand(
      "agent-ctl",
      "Talk to a cocoon-agent (or kata-agent) over ttrpc: `agent-ctl --address ADDR CALL "
      "JSON` sends one request given as JSON (proto field names) and prints the reply as "
      "JSON; CALL is an AgentService method (CreateContainer, WaitProcess, ...) or "
      "Health.Check / Health.Version. Exit 0 on success, 1 when the call fails.");
  auto address = std::make_shared<std::string>();
  auto call = std::make_shared<std::string>();
  auto json_text = std::make_shared<std::string>();
  ctl->add_option("--address", *address, "unix:PATH | vsock:CID:PORT | serial:PATH")->required();
  ctl->add_option("call", *call, "Method: CreateContainer, ..., Health.Check");
  ctl->add_option("json", *json_text, "Request as JSON (default {})");
  ctl->require_subcommand(0, 1);
  ctl->callback([ctl, address, call, json_text, &action] {
    if (ctl->get_subcommands().empty()) {
      if (call->empty()) {
        throw CLI::ValidationError("agent-ctl", "CALL is required (or the `run` subcommand)");
      }
      action = [address, call, json_text] { return runCall(*address, *call, *json_text); };
    }
  });

  auto flags = std::make_shared<RunFlags>();
  auto* run = ctl->add_subcommand(
      "run",
      "Pull IMAGE in the guest (image_guest_pull storage), create and start a container "
      "running CMD, relay its stdout/stderr (when the agent policy allows reading them), wait "
      "and remove it. Exit status: the container's (128+N for signal N), 125 on failure.");
  run->add_option("image", flags->image, "Image reference (pulled by the agent)")->required();
  run->add_option("command", flags->command, "Command and arguments (default: the image's)");
  run->add_option("--name", flags->name, "Container id (default: ctl-<random>)");
  run->add_flag("--keep", flags->keep, "Do not remove the container after it exits");
  run->callback([address, flags, &action] {
    flags->address = *address;
    action = [flags] { return runContainer(*flags); };
  });
}

}  // namespace cocoon::cli
