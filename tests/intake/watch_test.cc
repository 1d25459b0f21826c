// WatchTicketEvents through gRPC against a real redis-server: a client that disconnects in the
// middle of a stream and resumes from its last cursor gets every event exactly once; the unit
// filter; bad cursors.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "common/stream_cursor.h"
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::HasSubstr;

class WatchTest : public TimerEngineTest {
 protected:
  // A cursor at the beginning of every stream: the watch replays everything.
  static v1::Cursor FromTheStart() {
    v1::Cursor c;
    c.set_token(EncodeStreamCursor(
        std::vector<std::string>(keys::kShardCount, "0-0")));
    return c;
  }

  // Reads up to `n` events (or until the deadline), then disconnects.
  std::vector<v1::WatchTicketEventsResponse> Read(
      const v1::WatchTicketEventsRequest& req, size_t n, grpc::Status* finished = nullptr,
      std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    auto reader = client_->intake().WatchTicketEvents(&ctx, req);
    std::vector<v1::WatchTicketEventsResponse> out;
    v1::WatchTicketEventsResponse r;
    bool open = true;
    while (out.size() < n && (open = reader->Read(&r))) out.push_back(r);
    if (open) ctx.TryCancel();  // disconnect; a stream that ended keeps its status
    grpc::Status s = reader->Finish();
    if (finished != nullptr) *finished = s;
    return out;
  }
};

TEST_F(WatchTest, AClientThatResumesFromItsLastCursorGetsEveryEventExactlyOnce) {
  constexpr int kTickets = 3000;
  std::thread submitter([&] {
    for (int i = 0; i < kTickets; ++i) client_->Submit(HotlineComplaint(absl::StrCat("W-", i)));
  });
  v1::WatchTicketEventsRequest req;
  *req.mutable_resume_after() = FromTheStart();
  std::vector<v1::WatchTicketEventsResponse> first = Read(req, 1000);
  ASSERT_EQ(first.size(), 1000u);
  // Disconnected mid-stream, while complaints keep coming; resume from the last cursor.
  *req.mutable_resume_after() = first.back().cursor();
  std::vector<v1::WatchTicketEventsResponse> rest = Read(req, kTickets - 1000);
  submitter.join();

  std::map<std::string, int> seen;
  for (const auto* part : {&first, &rest}) {
    for (const auto& r : *part) ++seen[r.event().event_id()];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTickets));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  // Nothing more is waiting after the last cursor.
  *req.mutable_resume_after() = rest.back().cursor();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
  auto reader = client_->intake().WatchTicketEvents(&ctx, req);
  v1::WatchTicketEventsResponse extra;
  EXPECT_FALSE(reader->Read(&extra)) << extra.event().event_id();
}

TEST_F(WatchTest, AUnitFilterKeepsTheEventsOfTicketsInItsSubtree) {
  std::string ours = client_->Submit(HotlineComplaint("W-zy"));
  std::string theirs = SubmitAndRoute("W-ah");
  v1::Ticket routed;
  ASSERT_TRUE(client_->RouteByHand(client_->Get(ours), "430902001001", &routed).ok());
  v1::WatchTicketEventsRequest req;
  req.set_unit_code("430902");
  *req.mutable_resume_after() = FromTheStart();
  std::vector<v1::WatchTicketEventsResponse> events = Read(req, 2);
  ASSERT_EQ(events.size(), 2u);  // accepted and routed, of `ours` only
  for (const auto& r : events) EXPECT_EQ(r.event().ticket_id(), ours);
  EXPECT_TRUE(events[1].event().has_routed());
}

TEST_F(WatchTest, ACountysWatchSeesANewTicketOfItsCommunitiesBeforeItIsRouted) {
  auto in = HotlineComplaint("W-new-zy");
  in.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_community_code(
      "430902001001");
  auto elsewhere = HotlineComplaint("W-new-ah");
  elsewhere.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_community_code(
      "430923100001");
  std::string theirs = client_->Submit(elsewhere);
  std::string ours = client_->Submit(in);
  v1::WatchTicketEventsRequest req;
  req.set_unit_code("430902");
  *req.mutable_resume_after() = FromTheStart();
  // The streams hold two events: the watch sends ours, then nothing more.
  std::vector<v1::WatchTicketEventsResponse> events = Read(req, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event().ticket_id(), ours);
  EXPECT_TRUE(events[0].event().has_accepted());
  *req.mutable_resume_after() = events[0].cursor();
  std::vector<v1::WatchTicketEventsResponse> more =
      Read(req, 1, nullptr, std::chrono::milliseconds(1500));
  EXPECT_TRUE(more.empty()) << more[0].event().ticket_id() << " (" << theirs << " is not ours)";
}

TEST_F(WatchTest, OneReaderServesEveryWatchAndAWatchWhoseUnitIsNotConcernedGetsNothing) {
  // A cursor just past a first ticket: every watch below starts there.
  client_->Submit(HotlineComplaint("W-fan-0"));
  v1::WatchTicketEventsRequest first;
  *first.mutable_resume_after() = FromTheStart();
  std::vector<v1::WatchTicketEventsResponse> marker = Read(first, 1);
  ASSERT_EQ(marker.size(), 1u);
  auto connections = [&] {
    auto r = stack_.redis().ExecuteSync({"CLIENT", "LIST"});
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::count(r->str.begin(), r->str.end(), '\n') : 0;
  };
  const auto before = connections();

  // 30 watches of the county the complaints concern, 30 of the other county.
  struct Watch {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::WatchTicketEventsResponse>> reader;
  };
  std::vector<Watch> concerned, other;
  for (int i = 0; i < 60; ++i) {
    v1::WatchTicketEventsRequest req;
    req.set_unit_code(i % 2 == 0 ? "430923" : "430902");
    *req.mutable_resume_after() = marker[0].cursor();
    Watch w;
    w.ctx = std::make_unique<grpc::ClientContext>();
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    w.reader = client_->intake().WatchTicketEvents(w.ctx.get(), req);
    (i % 2 == 0 ? concerned : other).push_back(std::move(w));
  }
  constexpr int kTickets = 20;
  std::set<std::string> submitted;
  for (int i = 1; i <= kTickets; ++i) {
    submitted.insert(client_->Submit(HotlineComplaint(absl::StrCat("W-fan-", i))));
  }
  for (Watch& w : concerned) {
    std::set<std::string> got;
    v1::WatchTicketEventsResponse r;
    while (got.size() < submitted.size() && w.reader->Read(&r)) got.insert(r.event().ticket_id());
    EXPECT_EQ(got, submitted);
  }
  // Every watch has caught up and joined the one reader: no connection per watch.
  EXPECT_LE(connections() - before, 2);
  // The other county's watches: their first event is the first ticket of theirs.
  auto theirs_req = HotlineComplaint("W-fan-theirs");
  theirs_req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_community_code(
      "430902001001");
  const std::string theirs = client_->Submit(theirs_req);
  for (Watch& w : other) {
    v1::WatchTicketEventsResponse r;
    ASSERT_TRUE(w.reader->Read(&r));
    EXPECT_EQ(r.event().ticket_id(), theirs);
    w.ctx->TryCancel();
  }
  for (Watch& w : concerned) w.ctx->TryCancel();
}

TEST_F(WatchTest, WhileEventsTrickleInTheHubReadsTheStreamsAtMostOnceEvery25Milliseconds) {
  // A watch without a cursor joins the hub at once (no catch-up of its own).
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = client_->intake().WatchTicketEvents(&ctx, v1::WatchTicketEventsRequest());
  v1::WatchTicketEventsResponse r;
  // The watch starts with what arrives after it joined: complaints until one reaches it.
  std::atomic<bool> joined{false};
  std::thread marker([&] {
    for (int i = 0; !joined.load() && i < 200; ++i) {
      client_->Submit(HotlineComplaint(absl::StrCat("W-pace-marker-", i)));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const bool first = reader->Read(&r);
  joined.store(true);
  marker.join();
  ASSERT_TRUE(first);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the hub read the markers'
  const long before = CommandCalls("xread");
  const auto started = std::chrono::steady_clock::now();
  // One complaint every few milliseconds: each would wake a reader that reads per event.
  constexpr int kTickets = 40;
  std::set<std::string> submitted, got;
  for (int i = 1; i <= kTickets; ++i) {
    submitted.insert(client_->Submit(HotlineComplaint(absl::StrCat("W-pace-", i))));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  while (got.size() < submitted.size() && reader->Read(&r)) {
    if (submitted.count(r.event().ticket_id()) > 0) got.insert(r.event().ticket_id());
  }
  const long elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
  const long reads = CommandCalls("xread") - before;
  EXPECT_EQ(got, submitted);
  // Read per event, it would be one read a complaint at least (the complaints come faster).
  EXPECT_LE(reads, elapsed_ms / 25 + 3) << "in " << elapsed_ms << " ms";
  ctx.TryCancel();
}

// The events of responses in order: `event` of a one-event response, else `events`.
std::vector<v1::TicketEvent> Flatten(const std::vector<v1::WatchTicketEventsResponse>& responses) {
  std::vector<v1::TicketEvent> out;
  for (const auto& r : responses) {
    if (r.has_event()) out.push_back(r.event());
    for (const auto& e : r.events()) out.push_back(e);
  }
  return out;
}
std::vector<std::string> Ids(const std::vector<v1::TicketEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.event_id());
  return out;
}

TEST_F(WatchTest, AWatchThatAsksForBatchesGetsEveryEventOnceInStreamOrderInFewerResponses) {
  constexpr int kTickets = 120;
  for (int i = 0; i < kTickets; ++i) client_->Submit(HotlineComplaint(absl::StrCat("W-batch-", i)));
  // One event a response, from the start: the order every watch sends them in.
  v1::WatchTicketEventsRequest singles_req;
  *singles_req.mutable_resume_after() = FromTheStart();
  const std::vector<std::string> expected = Ids(Flatten(Read(singles_req, kTickets)));
  ASSERT_EQ(expected.size(), static_cast<size_t>(kTickets));

  // Up to 25 a response: the streams' 120 events, read at once, go out in ceil(120 / 25) = 5.
  v1::WatchTicketEventsRequest batched_req = singles_req;
  batched_req.set_max_events_per_response(25);
  std::vector<v1::WatchTicketEventsResponse> batches;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto reader = client_->intake().WatchTicketEvents(&ctx, batched_req);
    v1::WatchTicketEventsResponse r;
    size_t events = 0;
    while (events < expected.size() && reader->Read(&r)) {
      events += r.events_size();
      batches.push_back(r);
    }
    ctx.TryCancel();
    reader->Finish();
  }
  for (const auto& r : batches) {
    EXPECT_FALSE(r.has_event()) << "a batched response carries its events in `events`";
    EXPECT_GE(r.events_size(), 1);
    EXPECT_LE(r.events_size(), 25);
  }
  EXPECT_EQ(Ids(Flatten(batches)), expected);
  EXPECT_EQ(batches.size(), 5u);

  // A batch's cursor is after its last event: resuming from the second goes on with the 51st.
  ASSERT_GE(batches.size(), 2u);
  *singles_req.mutable_resume_after() = batches[1].cursor();
  const size_t done = batches[0].events_size() + batches[1].events_size();
  const std::vector<std::string> rest = Ids(Flatten(Read(singles_req, expected.size() - done)));
  EXPECT_EQ(rest, std::vector<std::string>(expected.begin() + done, expected.end()));
}

TEST_F(WatchTest, WatchesOfTheHubThatAskForBatchesGetEachNewEventOnce) {
  client_->Submit(HotlineComplaint("W-hub-batch-0"));
  v1::WatchTicketEventsRequest first;
  *first.mutable_resume_after() = FromTheStart();
  std::vector<v1::WatchTicketEventsResponse> marker = Read(first, 1);
  ASSERT_EQ(marker.size(), 1u);
  struct Watch {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::WatchTicketEventsResponse>> reader;
  };
  std::vector<Watch> watches;
  for (int i = 0; i < 10; ++i) {
    v1::WatchTicketEventsRequest req;
    req.set_unit_code("430923");
    req.set_max_events_per_response(50);
    *req.mutable_resume_after() = marker[0].cursor();
    Watch w;
    w.ctx = std::make_unique<grpc::ClientContext>();
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    w.reader = client_->intake().WatchTicketEvents(w.ctx.get(), req);
    watches.push_back(std::move(w));
  }
  std::set<std::string> submitted;
  std::thread submitter([&] {
    for (int i = 1; i <= 40; ++i) {
      submitted.insert(client_->Submit(HotlineComplaint(absl::StrCat("W-hub-batch-", i))));
    }
  });
  submitter.join();
  for (Watch& w : watches) {
    std::map<std::string, int> got;
    v1::WatchTicketEventsResponse r;
    while (got.size() < submitted.size() && w.reader->Read(&r)) {
      EXPECT_FALSE(r.has_event());
      for (const auto& e : r.events()) ++got[e.ticket_id()];
    }
    EXPECT_EQ(got.size(), submitted.size());
    for (const auto& [id, n] : got) {
      EXPECT_EQ(submitted.count(id), 1u) << id;
      EXPECT_EQ(n, 1) << id;
    }
    w.ctx->TryCancel();
  }
}

TEST_F(WatchTest, MoreThanFiveHundredEventsAResponseIsInvalidArgument) {
  for (int asked : {-1, 501}) {
    v1::WatchTicketEventsRequest req;
    req.set_max_events_per_response(asked);
    grpc::Status status;
    Read(req, 1, &status);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << asked;
    EXPECT_THAT(status.error_message(), HasSubstr("max_events_per_response: at most 500")) << asked;
  }
}

TEST_F(WatchTest, ACursorFromElsewhereIsInvalidArgument) {
  v1::WatchTicketEventsRequest req;
  req.mutable_resume_after()->set_token("not-a-cursor");
  grpc::Status status;
  Read(req, 1, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("resume_after"));
}

TEST_F(WatchTest, TheDeskOfACountySeesATicketTheGracePutThere) {
  // No community, estate or address anyone knows; the county is named.
  auto req = HotlineComplaint("W-desk");
  req.mutable_complaint()->mutable_location()->Clear();
  req.mutable_complaint()->mutable_location()->set_address("某路某号");
  req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_county_code("430902");
  std::string id = client_->Submit(req);
  FireAt(accepted_ + absl::Minutes(5));  // routing is down: the grace places it
  v1::WatchTicketEventsRequest watch;
  watch.set_unit_code("430902");
  *watch.mutable_resume_after() = FromTheStart();
  std::vector<v1::WatchTicketEventsResponse> events = Read(watch, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event().ticket_id(), id);
  EXPECT_EQ(events[1].event().routed().unit_code(), "430902");
}

TEST_F(WatchTest, AWatchOfAUnitTheOrganisationDoesNotHaveIsNotFound) {
  v1::WatchTicketEventsRequest req;
  req.set_unit_code("999999");
  grpc::Status status;
  Read(req, 1, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("no unit \"999999\""));
}

class SlowWatcherTest : public WatchTest {
 protected:
  // One watch at a time, and a client that takes no event for a second is dropped.
  void SetUp() override {
    Start("limits { max_watches: 1 watch_write_timeout { seconds: 1 } }");
  }
  // Opens a watch of new events and reports how it ended after `wait`: RESOURCE_EXHAUSTED
  // while the one slot is taken, DEADLINE_EXCEEDED when it was served and simply saw nothing.
  grpc::StatusCode TryAnotherWatch(std::chrono::milliseconds wait) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + wait);
    auto reader = client_->intake().WatchTicketEvents(&ctx, v1::WatchTicketEventsRequest());
    v1::WatchTicketEventsResponse r;
    while (reader->Read(&r)) {
    }
    return reader->Finish().error_code();
  }
};

TEST_F(SlowWatcherTest, AWatcherThatStopsReadingIsDroppedAndItsSlotFreed) {
  // A dashboard that stops reading: a small flow-control window it never opens again.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto slow_channel = stack_.SignedChannel(stack_.port(), args);
  auto slow = v1::IntakeService::NewStub(slow_channel);
  grpc::ClientContext slow_ctx;
  v1::WatchTicketEventsRequest req;
  *req.mutable_resume_after() = FromTheStart();
  auto stalled = slow->WatchTicketEvents(&slow_ctx, req);
  // Its watch holds the only slot.
  grpc::StatusCode other = grpc::StatusCode::OK;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while ((other = TryAnotherWatch(std::chrono::milliseconds(200))) !=
             grpc::StatusCode::RESOURCE_EXHAUSTED &&
         absl::Now() < give_up) {
  }
  ASSERT_EQ(other, grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Far more events than its window holds arrive, and it reads none of them.
  for (int i = 0; i < 400; ++i) client_->Submit(HotlineComplaint(absl::StrCat("W-slow-", i)));
  // Within seconds the server gives up on it: the slot is free for another dashboard.
  while ((other = TryAnotherWatch(std::chrono::milliseconds(200))) ==
             grpc::StatusCode::RESOURCE_EXHAUSTED &&
         absl::Now() < give_up + absl::Seconds(10)) {
  }
  EXPECT_EQ(other, grpc::StatusCode::DEADLINE_EXCEEDED);
  slow_ctx.TryCancel();
}

TEST(WatchCursor, RoundTrips) {
  std::vector<std::string> positions(keys::kShardCount, "0-0");
  positions[3] = "1795392951227-0";
  positions[200] = "1795392951300-17";
  auto back = DecodeStreamCursor(EncodeStreamCursor(positions), "resume_after");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, positions);
}

}  // namespace
}  // namespace dispatch::escalation
