// A client that knows nothing of our .proto files and learns everything from
// the server's reflection service, as grpcurl does: list services, fetch the
// descriptors, build request and response types at run time, call by name.
#ifndef MTASTS_TESTS_INTEGRATION_REFLECTION_CLIENT_H_
#define MTASTS_TESTS_INTEGRATION_REFLECTION_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace mtasts::testing {

class ReflectionClient {
 public:
  explicit ReflectionClient(std::shared_ptr<grpc::Channel> channel);
  ~ReflectionClient();

  // Fully qualified service names the server lists.
  absl::StatusOr<std::vector<std::string>> ListServices();
  // Method names of `service`, from its reflected descriptor.
  absl::StatusOr<std::vector<std::string>> ListMethods(const std::string& service);
  // The reflected definition of a fully qualified message, enum or service
  // name (what `grpcurl describe` prints), as a descriptor proto in text
  // form without source info. NOT_FOUND when the server does not know it.
  absl::StatusOr<std::string> Describe(const std::string& symbol);
  // Learns descriptors from a FileDescriptorSet file (grpcurl -protoset)
  // instead of asking the server: services found there are called without
  // reflection. Errors: unreadable file, not a descriptor set.
  absl::Status UseProtoset(const std::string& path);
  // True when service/method streams requests or responses.
  absl::StatusOr<bool> IsStreaming(const std::string& service, const std::string& method);
  // Calls a streaming service/method: sends each JSON request, half-closes,
  // and returns every response as JSON (proto3 JSON, original field names),
  // or the call's error status.
  absl::StatusOr<std::vector<std::string>> CallStreamJson(
      const std::string& service, const std::string& method,
      const std::vector<std::string>& requests_json);
  // Calls service/method with a JSON request; returns the JSON response
  // (proto3 JSON with original field names), or the call's error status.
  absl::StatusOr<std::string> CallJson(const std::string& service, const std::string& method,
                                       const std::string& request_json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtasts::testing

#endif  // MTASTS_TESTS_INTEGRATION_REFLECTION_CLIENT_H_
