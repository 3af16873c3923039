// AnswerReflectionRequest against the process's generated descriptor pool,
// which holds netpol.v1 because this test links the server library.

#include "server/reflection_service.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Request = reflection::ServerReflectionRequest;
using Response = reflection::ServerReflectionResponse;

const std::vector<std::string> kServices = {"netpol.v1.PolicyDecisionPoint",
                                            "grpc.health.v1.Health"};

Response Answer(const Request& request,
                absl::flat_hash_set<std::string>* sent) {
  Response response;
  AnswerReflectionRequest(*google::protobuf::DescriptorPool::generated_pool(),
                          kServices, request, sent, &response);
  return response;
}

// The names of the files a response carries, in order.
std::vector<std::string> FileNames(const Response& response) {
  std::vector<std::string> names;
  for (const std::string& bytes :
       response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    names.push_back(file.name());
  }
  return names;
}

TEST(ReflectionServiceTest, ListsTheGivenServices) {
  Request request;
  request.set_host("pdp:50051");
  request.set_list_services("*");
  absl::flat_hash_set<std::string> sent;
  const Response response = Answer(request, &sent);
  EXPECT_EQ(response.valid_host(), "pdp:50051");
  EXPECT_EQ(response.original_request().list_services(), "*");
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_EQ(names, kServices);
}

TEST(ReflectionServiceTest, SymbolGivesItsFileWithDependenciesOnce) {
  const std::string decision = v1::CheckConnectionRequest::descriptor()
                                   ->file()
                                   ->name();  // netpol/v1/decision.proto
  absl::flat_hash_set<std::string> sent;
  Request request;
  request.set_file_containing_symbol("netpol.v1.PolicyDecisionPoint");
  const Response first = Answer(request, &sent);
  ASSERT_FALSE(first.has_error_response())
      << first.error_response().error_message();
  std::vector<std::string> names = FileNames(first);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), decision);
  // Every dependency, transitively, and each once.
  const auto* file =
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
          decision);
  ASSERT_NE(file, nullptr);
  absl::flat_hash_set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  for (int i = 0; i < file->dependency_count(); ++i) {
    EXPECT_TRUE(unique.contains(file->dependency(i)->name()))
        << file->dependency(i)->name();
  }

  // A method's full name finds the same file; what the stream already
  // carried is not sent again, but the file asked for always is.
  request.set_file_containing_symbol(
      "netpol.v1.PolicyDecisionPoint.CheckConnection");
  EXPECT_THAT(FileNames(Answer(request, &sent)), ElementsAre(decision));

  // A new stream starts over.
  absl::flat_hash_set<std::string> fresh;
  EXPECT_EQ(FileNames(Answer(request, &fresh)), names);
}

TEST(ReflectionServiceTest, FileByName) {
  absl::flat_hash_set<std::string> sent;
  Request request;
  request.set_file_by_filename("google/protobuf/descriptor.proto");
  EXPECT_THAT(FileNames(Answer(request, &sent)),
              ElementsAre("google/protobuf/descriptor.proto"));
  EXPECT_TRUE(sent.contains("google/protobuf/descriptor.proto"));
}

// A pool of its own: the generated one holds no extensions.
TEST(ReflectionServiceTest, Extensions) {
  google::protobuf::FileDescriptorProto base;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(name: "base.proto"
           package: "t"
           message_type {
             name: "Base"
             extension_range { start: 100 end: 200 }
           })pb",
      &base));
  google::protobuf::FileDescriptorProto extending;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(name: "extending.proto"
           package: "t"
           dependency: "base.proto"
           extension {
             name: "a"
             number: 150
             label: LABEL_OPTIONAL
             type: TYPE_INT32
             extendee: ".t.Base"
           }
           extension {
             name: "b"
             number: 120
             label: LABEL_OPTIONAL
             type: TYPE_STRING
             extendee: ".t.Base"
           })pb",
      &extending));
  google::protobuf::DescriptorPool pool;
  ASSERT_NE(pool.BuildFile(base), nullptr);
  ASSERT_NE(pool.BuildFile(extending), nullptr);

  absl::flat_hash_set<std::string> sent;
  Request request;
  request.set_all_extension_numbers_of_type("t.Base");
  Response response;
  AnswerReflectionRequest(pool, kServices, request, &sent, &response);
  EXPECT_EQ(response.all_extension_numbers_response().base_type_name(),
            "t.Base");
  EXPECT_THAT(response.all_extension_numbers_response().extension_number(),
              UnorderedElementsAre(120, 150));

  request.mutable_file_containing_extension()->set_containing_type("t.Base");
  request.mutable_file_containing_extension()->set_extension_number(120);
  response.Clear();
  AnswerReflectionRequest(pool, kServices, request, &sent, &response);
  EXPECT_THAT(FileNames(response),
              ElementsAre("extending.proto", "base.proto"));

  request.mutable_file_containing_extension()->set_extension_number(121);
  response.Clear();
  AnswerReflectionRequest(pool, kServices, request, &sent, &response);
  EXPECT_EQ(response.error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST(ReflectionServiceTest, WhatDoesNotExistIsNotFound) {
  std::vector<Request> requests(5);
  requests[0].set_file_by_filename("netpol/v1/nothing.proto");
  requests[1].set_file_containing_symbol("netpol.v1.Nothing");
  requests[2].mutable_file_containing_extension()->set_containing_type(
      "netpol.v1.CheckConnectionRequest");
  requests[2].mutable_file_containing_extension()->set_extension_number(1000);
  requests[3].mutable_file_containing_extension()->set_containing_type(
      "netpol.v1.Nothing");
  requests[4].set_all_extension_numbers_of_type("netpol.v1.Nothing");
  for (const Request& request : requests) {
    absl::flat_hash_set<std::string> sent;
    const Response response = Answer(request, &sent);
    ASSERT_TRUE(response.has_error_response()) << request.DebugString();
    EXPECT_EQ(response.error_response().error_code(),
              static_cast<int>(grpc::StatusCode::NOT_FOUND));
    EXPECT_THAT(response.error_response().error_message(),
                ::testing::HasSubstr("netpol"))
        << request.DebugString();
    EXPECT_THAT(sent, IsEmpty());
  }
}

TEST(ReflectionServiceTest, ErrorsQuoteAtMost256BytesOfTheName) {
  absl::flat_hash_set<std::string> sent;
  Request request;
  request.set_file_containing_symbol(std::string(100000, 'x'));
  const Response response = Answer(request, &sent);
  EXPECT_EQ(response.error_response().error_message(),
            "no symbol named \"" + std::string(256, 'x') + "...\"");
}

TEST(ReflectionServiceTest, EmptyRequestIsInvalid) {
  absl::flat_hash_set<std::string> sent;
  const Response response = Answer(Request(), &sent);
  ASSERT_TRUE(response.has_error_response());
  EXPECT_EQ(response.error_response().error_code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
}

}  // namespace
}  // namespace netpol::server
