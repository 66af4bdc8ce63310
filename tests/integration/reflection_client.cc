#include "tests/integration/reflection_client.h"

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace mtasts::testing {

using google::protobuf::FileDescriptorProto;

namespace {

// Starts one operation of an async call (`start` gives it its tag) and waits
// for it on `cq`: whether it succeeded.
template <typename Start>
bool AwaitOne(grpc::CompletionQueue& cq, Start&& start) {
  start();
  void* tag;
  bool ok = false;
  cq.Next(&tag, &ok);
  return ok;
}

// A queue must be shut down and drained before it is destroyed.
void ShutdownAndDrain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

// The bytes of a received message.
std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

// The reflection protocol's own types come from the generated pool: the
// server's reflection library (linked into this binary) registers them, and
// a second generated copy would clash with it. So requests and responses are
// built and read through protobuf reflection, and sent as raw bytes.
struct ReflectionClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  google::protobuf::DescriptorPool pool;
  google::protobuf::DynamicMessageFactory factory{&pool};
  std::set<std::string> loaded_files;

  static const google::protobuf::Descriptor* Type(const char* name) {
    return google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
        absl::StrCat("grpc.reflection.v1alpha.", name));
  }

  // One request on a fresh reflection stream: `field` is the request's
  // message_request case ("list_services", "file_by_filename", ...).
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Ask(const std::string& field,
                                                                const std::string& value) {
    const auto* request_type = Type("ServerReflectionRequest");
    const auto* response_type = Type("ServerReflectionResponse");
    if (request_type == nullptr || response_type == nullptr) {
      return absl::InternalError("reflection types are not linked in");
    }
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    std::unique_ptr<google::protobuf::Message> request(
        factory->GetPrototype(request_type)->New());
    request->GetReflection()->SetString(request.get(), request_type->FindFieldByName(field),
                                        value);
    std::string wire = request->SerializeAsString();

    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto call = stub.PrepareCall(
        &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    auto step = [&cq](auto&& start) { return AwaitOne(cq, start); };
    grpc::Slice slice(wire);
    grpc::ByteBuffer send(&slice, 1);
    grpc::ByteBuffer received;
    grpc::Status status;
    bool ok = step([&] { call->StartCall(reinterpret_cast<void*>(1)); }) &&
              step([&] { call->Write(send, reinterpret_cast<void*>(2)); }) &&
              step([&] { call->WritesDone(reinterpret_cast<void*>(3)); }) &&
              step([&] { call->Read(&received, reinterpret_cast<void*>(4)); });
    step([&] { call->Finish(&status, reinterpret_cast<void*>(5)); });
    ShutdownAndDrain(cq);
    if (!ok || !status.ok()) {
      return absl::UnavailableError(absl::StrCat("reflection stream failed: ",
                                                 status.error_message()));
    }
    std::unique_ptr<google::protobuf::Message> response(
        factory->GetPrototype(response_type)->New());
    if (!response->ParseFromString(BytesOf(received))) return absl::DataLossError("bad reflection reply");
    const auto* error = response_type->FindFieldByName("error_response");
    if (response->GetReflection()->HasField(*response, error)) {
      return absl::NotFoundError(response->ShortDebugString());
    }
    return response;
  }

  // The file_descriptor_proto bytes of a FileDescriptorResponse reply.
  static std::vector<std::string> FileBytes(const google::protobuf::Message& response) {
    const auto* field = response.GetDescriptor()->FindFieldByName("file_descriptor_response");
    const auto& files = response.GetReflection()->GetMessage(response, field);
    const auto* list = files.GetDescriptor()->FindFieldByName("file_descriptor_proto");
    std::vector<std::string> out;
    for (int i = 0; i < files.GetReflection()->FieldSize(files, list); ++i) {
      out.push_back(files.GetReflection()->GetRepeatedString(files, list, i));
    }
    return out;
  }

  // Adds the files in `response` to the pool, fetching missing dependencies
  // by name, dependencies first.
  absl::Status AddFiles(const google::protobuf::Message& response) {
    std::vector<FileDescriptorProto> pending;
    for (const std::string& bytes : FileBytes(response)) {
      FileDescriptorProto file;
      if (!file.ParseFromString(bytes)) return absl::DataLossError("bad descriptor");
      pending.push_back(std::move(file));
    }
    for (int round = 0; !pending.empty(); ++round) {
      if (round > 64) return absl::InternalError("descriptor dependencies do not resolve");
      std::vector<FileDescriptorProto> next;
      for (auto& file : pending) {
        if (loaded_files.count(file.name())) continue;
        bool ready = true;
        for (const std::string& dep : file.dependency()) {
          if (loaded_files.count(dep)) continue;
          ready = false;
          bool queued = false;
          for (const auto& p : pending) queued = queued || p.name() == dep;
          if (!queued) {
            auto more = Ask("file_by_filename", dep);
            if (!more.ok()) return more.status();
            for (const std::string& b : FileBytes(**more)) {
              FileDescriptorProto f;
              if (f.ParseFromString(b)) next.push_back(std::move(f));
            }
          }
        }
        if (ready) {
          if (pool.BuildFile(file) == nullptr) {
            return absl::InternalError(absl::StrCat("cannot build ", file.name()));
          }
          loaded_files.insert(file.name());
        } else {
          next.push_back(std::move(file));
        }
      }
      pending = std::move(next);
    }
    return absl::OkStatus();
  }

  // What `find` finds in the pool, else in the pool once the server's files
  // defining `symbol` are added; `what` names it when neither has it.
  template <typename Find>
  auto FindOrFetch(const std::string& symbol, absl::string_view what, Find find)
      -> absl::StatusOr<decltype(find())> {
    if (auto* found = find()) return found;
    auto response = Ask("file_containing_symbol", symbol);
    if (!response.ok()) return response.status();
    absl::Status added = AddFiles(**response);
    if (!added.ok()) return added;
    if (auto* found = find()) return found;
    return absl::NotFoundError(absl::StrCat(what, " not in reflected files"));
  }

  // The file defining `symbol`, from the pool or else from the server.
  absl::StatusOr<const google::protobuf::FileDescriptor*> FileOf(const std::string& symbol) {
    return FindOrFetch(symbol, symbol, [&] { return pool.FindFileContainingSymbol(symbol); });
  }

  absl::StatusOr<const google::protobuf::ServiceDescriptor*> Service(const std::string& name) {
    return FindOrFetch(name, absl::StrCat("service ", name),
                       [&] { return pool.FindServiceByName(name); });
  }

  // A new empty message of `type` (a type of the reflected files).
  std::unique_ptr<google::protobuf::Message> New(const google::protobuf::Descriptor* type) {
    return std::unique_ptr<google::protobuf::Message>(factory.GetPrototype(type)->New());
  }
};

ReflectionClient::ReflectionClient(std::shared_ptr<grpc::Channel> channel)
    : impl_(std::make_unique<Impl>()) {
  impl_->channel = std::move(channel);
}

ReflectionClient::~ReflectionClient() = default;

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListServices() {
  auto response = impl_->Ask("list_services", "*");
  if (!response.ok()) return response.status();
  const google::protobuf::Message& reply = **response;
  const auto& list = reply.GetReflection()->GetMessage(
      reply, reply.GetDescriptor()->FindFieldByName("list_services_response"));
  const auto* services = list.GetDescriptor()->FindFieldByName("service");
  std::vector<std::string> names;
  for (int i = 0; i < list.GetReflection()->FieldSize(list, services); ++i) {
    const auto& service = list.GetReflection()->GetRepeatedMessage(list, services, i);
    names.push_back(service.GetReflection()->GetString(
        service, service.GetDescriptor()->FindFieldByName("name")));
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListMethods(
    const std::string& service) {
  auto descriptor = impl_->Service(service);
  if (!descriptor.ok()) return descriptor.status();
  std::vector<std::string> names;
  for (int i = 0; i < (*descriptor)->method_count(); ++i) {
    names.push_back((*descriptor)->method(i)->name());
  }
  return names;
}

absl::StatusOr<std::string> ReflectionClient::Describe(const std::string& symbol) {
  auto file = impl_->FileOf(symbol);
  if (!file.ok()) return file.status();
  if (const auto* m = impl_->pool.FindMessageTypeByName(symbol)) {
    google::protobuf::DescriptorProto proto;
    m->CopyTo(&proto);
    return proto.DebugString();
  }
  if (const auto* e = impl_->pool.FindEnumTypeByName(symbol)) {
    google::protobuf::EnumDescriptorProto proto;
    e->CopyTo(&proto);
    return proto.DebugString();
  }
  if (const auto* s = impl_->pool.FindServiceByName(symbol)) {
    google::protobuf::ServiceDescriptorProto proto;
    s->CopyTo(&proto);
    return proto.DebugString();
  }
  return absl::NotFoundError(absl::StrCat(symbol, " is not a message, enum or service"));
}

absl::Status ReflectionClient::UseProtoset(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromString(bytes.str())) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a FileDescriptorSet"));
  }
  // --include_imports lists dependencies first.
  for (const FileDescriptorProto& file : set.file()) {
    if (impl_->loaded_files.count(file.name())) continue;
    if (impl_->pool.BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cannot build ", file.name()));
    }
    impl_->loaded_files.insert(file.name());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ReflectionClient::IsStreaming(const std::string& service,
                                                  const std::string& method) {
  auto descriptor = impl_->Service(service);
  if (!descriptor.ok()) return descriptor.status();
  const auto* m = (*descriptor)->FindMethodByName(method);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no method ", method));
  return m->client_streaming() || m->server_streaming();
}

absl::StatusOr<std::vector<std::string>> ReflectionClient::CallStreamJson(
    const std::string& service, const std::string& method,
    const std::vector<std::string>& requests_json) {
  auto descriptor = impl_->Service(service);
  if (!descriptor.ok()) return descriptor.status();
  const auto* m = (*descriptor)->FindMethodByName(method);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no method ", method));
  std::vector<std::string> wires;
  for (const std::string& json : requests_json) {
    std::unique_ptr<google::protobuf::Message> request = impl_->New(m->input_type());
    auto parsed = google::protobuf::util::JsonStringToMessage(json, request.get());
    if (!parsed.ok()) return absl::InvalidArgumentError(parsed.ToString());
    wires.push_back(request->SerializeAsString());
  }
  grpc::GenericStub stub(impl_->channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto call = stub.PrepareCall(&ctx, absl::StrCat("/", service, "/", method), &cq);
  auto step = [&cq](auto&& start) { return AwaitOne(cq, start); };
  bool ok = step([&] { call->StartCall(reinterpret_cast<void*>(1)); });
  for (const std::string& wire : wires) {
    grpc::Slice slice(wire);
    grpc::ByteBuffer send(&slice, 1);
    ok = ok && step([&] { call->Write(send, reinterpret_cast<void*>(2)); });
  }
  ok = ok && step([&] { call->WritesDone(reinterpret_cast<void*>(3)); });
  std::vector<std::string> responses;
  absl::Status bad;
  while (ok) {
    grpc::ByteBuffer received;
    if (!step([&] { call->Read(&received, reinterpret_cast<void*>(4)); })) break;
    std::unique_ptr<google::protobuf::Message> response = impl_->New(m->output_type());
    if (!response->ParseFromString(BytesOf(received))) bad = absl::DataLossError("bad response bytes");
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(*response, &json, options);
    responses.push_back(std::move(json));
  }
  grpc::Status status;
  step([&] { call->Finish(&status, reinterpret_cast<void*>(5)); });
  ShutdownAndDrain(cq);
  if (!status.ok()) return FromGrpc(status);
  if (!bad.ok()) return bad;
  return responses;
}

absl::StatusOr<std::string> ReflectionClient::CallJson(const std::string& service,
                                                      const std::string& method,
                                                      const std::string& request_json) {
  auto descriptor = impl_->Service(service);
  if (!descriptor.ok()) return descriptor.status();
  const auto* m = (*descriptor)->FindMethodByName(method);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no method ", method));
  std::unique_ptr<google::protobuf::Message> request = impl_->New(m->input_type());
  auto parsed = google::protobuf::util::JsonStringToMessage(request_json, request.get());
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.ToString());

  std::string wire = request->SerializeAsString();
  grpc::Slice slice(wire);
  grpc::ByteBuffer send(&slice, 1);
  grpc::GenericStub stub(impl_->channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto call = stub.PrepareUnaryCall(&ctx, absl::StrCat("/", service, "/", method), send, &cq);
  call->StartCall();
  grpc::ByteBuffer received;
  grpc::Status status;
  call->Finish(&received, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  ShutdownAndDrain(cq);
  if (!status.ok()) return FromGrpc(status);
  std::unique_ptr<google::protobuf::Message> response = impl_->New(m->output_type());
  if (!response->ParseFromString(BytesOf(received))) return absl::DataLossError("bad response bytes");
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  auto printed = google::protobuf::util::MessageToJsonString(*response, &json, options);
  if (!printed.ok()) return absl::InternalError(printed.ToString());
  return json;
}

}  // namespace mtasts::testing
