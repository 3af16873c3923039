// Server reflection is on, so grpcurl and ghz work without the proto
// files. These tests do what those tools do: list the services, then fetch
// the file defining one and build a descriptor pool from the answer.

#include <dirent.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"

namespace netpol::integration {
namespace {

namespace reflection = ::grpc::reflection::v1alpha;
using ::testing::Contains;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Sends each request on one reflection stream and returns the responses.
std::vector<reflection::ServerReflectionResponse> Ask(
    const std::string& address,
    const std::vector<reflection::ServerReflectionRequest>& requests) {
  auto stub = reflection::ServerReflection::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub->ServerReflectionInfo(&context);
  std::vector<reflection::ServerReflectionResponse> responses;
  for (const reflection::ServerReflectionRequest& request : requests) {
    EXPECT_TRUE(stream->Write(request));
    reflection::ServerReflectionResponse response;
    if (!stream->Read(&response)) break;
    responses.push_back(std::move(response));
  }
  stream->WritesDone();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(responses.size(), requests.size());
  return responses;
}

std::vector<std::string> ListServices(const std::string& address) {
  reflection::ServerReflectionRequest request;
  request.set_list_services("");
  std::vector<std::string> names;
  for (const auto& response : Ask(address, {request})) {
    for (const auto& service : response.list_services_response().service()) {
      names.push_back(service.name());
    }
  }
  return names;
}

TEST(ReflectionTest, EachListenerListsItsOwnServices) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT(ListServices((*server)->data_address()),
              UnorderedElementsAre("netpol.v1.PolicyDecisionPoint",
                                   "grpc.health.v1.Health",
                                   "grpc.reflection.v1alpha.ServerReflection"));
  EXPECT_THAT(
      ListServices((*server)->admin_address()),
      UnorderedElementsAre("netpol.v1.SnapshotAdmin", "grpc.health.v1.Health",
                           "grpc.reflection.v1alpha.ServerReflection"));
}

TEST(ReflectionTest, DescribesCheckConnectionLikeGrpcurlNeeds) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({});
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<reflection::ServerReflectionRequest> requests(3);
  requests[0].set_file_containing_symbol("netpol.v1.PolicyDecisionPoint");
  requests[1].set_file_containing_symbol("netpol.v1.Missing");
  // gRPC serves health from messages that leave no descriptor; the
  // server links one so that every service listed can be described.
  requests[2].set_file_containing_symbol("grpc.health.v1.Health");
  const std::vector<reflection::ServerReflectionResponse> responses =
      Ask((*server)->data_address(), requests);
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[1].error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
  ASSERT_TRUE(responses[2].has_file_descriptor_response())
      << responses[2].error_response().error_message();

  // Build the files in dependency order, as a client does.
  std::vector<google::protobuf::FileDescriptorProto> files;
  for (const std::string& bytes :
       responses[0].file_descriptor_response().file_descriptor_proto()) {
    ASSERT_TRUE(files.emplace_back().ParseFromString(bytes));
  }
  google::protobuf::DescriptorPool pool;
  absl::flat_hash_set<std::string> built;
  while (built.size() < files.size()) {
    const size_t before = built.size();
    for (const auto& file : files) {
      if (built.contains(file.name())) continue;
      bool ready = true;
      for (const std::string& dependency : file.dependency()) {
        ready = ready && built.contains(dependency);
      }
      if (!ready) continue;
      ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
      built.insert(file.name());
    }
    ASSERT_GT(built.size(), before) << "a dependency is missing";
  }
  const google::protobuf::MethodDescriptor* method =
      pool.FindMethodByName("netpol.v1.PolicyDecisionPoint.CheckConnection");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->input_type()->full_name(),
            "netpol.v1.CheckConnectionRequest");
  EXPECT_NE(method->input_type()->FindFieldByName("compact"), nullptr);
}

// A synchronous service anywhere in the process (gRPC 1.51's reflection,
// a sync admin service) starts "grpcpp_sync_server" threads that poll the
// process-wide epoll set and take the data plane's I/O.
TEST(ReflectionTest, ServerRunsNoSyncServerThreads) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string tasks =
      "/proc/" + std::to_string((*server)->pid()) + "/task";
  DIR* dir = opendir(tasks.c_str());
  ASSERT_NE(dir, nullptr) << tasks;
  std::vector<std::string> names;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(tasks + "/" + entry->d_name + "/comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(name);
  }
  closedir(dir);
  EXPECT_THAT(names, Contains("nexting_thread"));  // the listing works
  EXPECT_THAT(names, Not(Contains(::testing::StartsWith("grpcpp_sync"))));
}

}  // namespace
}  // namespace netpol::integration
