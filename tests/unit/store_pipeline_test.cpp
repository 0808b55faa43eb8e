// Pipelines: inserted whole or not at all, read back with their calls.
#include "store_test_fixture.h"

namespace fnq::test {
namespace {

using PipelineStoreTest = StoreTest;
FNQ_STORE_TEST_BACKENDS(PipelineStoreTest);

// fetch -> parse (input_from) -> {a, b}, calls in that order.
NewPipeline three_stages(const std::optional<std::string>& key = std::nullopt,
                         const std::string& last_function = "fn") {
  NewPipeline np;
  np.pipeline.id = new_call_id();
  np.pipeline.name = "etl";
  np.pipeline.key = key;
  np.pipeline.created_at = k_t0;
  np.pipeline.stage_count = 4;
  auto stage = [&](const std::string& name, const std::string& function) {
    NewCall nc = make_call(function, name + " input");
    nc.call.pipeline = np.pipeline.id;
    nc.call.stage = name;
    return nc;
  };
  NewCall fetch = stage("fetch", "fn");
  NewCall parse = stage("parse", "fn");
  parse.call.input_from = fetch.call.id;
  NewCall a = stage("a", "fn");
  a.call.needs = {parse.call.id};
  NewCall b = stage("b", last_function);
  b.call.needs = {parse.call.id};
  np.calls = {fetch, parse, a, b};
  return np;
}

TEST_P(PipelineStoreTest, InsertsEveryStageWithItsPipelineAndStage) {
  NewPipeline np = three_stages();
  auto r = m_store->submit_pipeline(np);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->existing);
  ASSERT_EQ(r->calls.size(), 4u);
  EXPECT_EQ(r->calls[0].state, CallState::queued);
  EXPECT_EQ(r->calls[1].state, CallState::waiting);
  EXPECT_EQ(r->calls[3].needs, std::vector<std::string>{np.calls[1].call.id});

  auto calls = m_store->pipeline_calls(np.pipeline.id);
  ASSERT_TRUE(calls.ok()) << calls.error().message;
  ASSERT_EQ(calls->size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*calls)[i].id, np.calls[i].call.id);
    EXPECT_EQ((*calls)[i].pipeline, np.pipeline.id);
    EXPECT_EQ((*calls)[i].stage, np.calls[i].call.stage);
  }
  auto p = m_store->get_pipeline(np.pipeline.id);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->name, std::optional<std::string>("etl"));
  EXPECT_EQ(p->stage_count, 4);
  EXPECT_EQ(p->counts[CallState::queued], 1);
  EXPECT_EQ(p->counts[CallState::waiting], 3);

  CallFilter filter;
  filter.pipeline = np.pipeline.id;
  submit_id();  // not in the pipeline
  auto listed = m_store->list_calls(filter);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(listed->size(), 4u);
  EXPECT_EQ(listed->front().id, np.calls[3].call.id);  // newest first
}

TEST_P(PipelineStoreTest, InputFromAStageReleasesItsOutput) {
  NewPipeline np = three_stages();
  ASSERT_TRUE(m_store->submit_pipeline(np).ok());
  run_to(np.calls[0].call.id, CallState::succeeded, "fetched");
  auto input = m_store->get_input(np.calls[1].call.id);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(*input, "fetched");
  EXPECT_EQ(get(np.calls[1].call.id).state, CallState::queued);
}

TEST_P(PipelineStoreTest, NothingIsStoredWhenAStageFails) {
  NewPipeline np = three_stages(std::string("k"), "no-such-function");
  auto r = m_store->submit_pipeline(np);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(m_store->get_pipeline(np.pipeline.id).error().kind, ErrorKind::not_found);
  for (const NewCall& nc : np.calls) {
    EXPECT_EQ(m_store->get_call(nc.call.id).error().kind, ErrorKind::not_found);
  }
  auto all = m_store->list_pipelines(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  // The key was not taken either.
  auto again = m_store->submit_pipeline(three_stages(std::string("k")));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->existing);
}

TEST_P(PipelineStoreTest, AStageKeyTakenOutsideThePipelineIsAConflict) {
  NewCall outside = make_call();
  outside.call.key = "taken";
  submit(outside);
  NewPipeline np = three_stages();
  np.calls[2].call.key = "taken";
  auto r = m_store->submit_pipeline(np);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("stage 'a'"), std::string::npos) << r.error().message;
  EXPECT_EQ(m_store->get_call(np.calls[0].call.id).error().kind, ErrorKind::not_found);
}

TEST_P(PipelineStoreTest, TheSameKeyGivesTheFirstPipeline) {
  NewPipeline first = three_stages(std::string("nightly"));
  ASSERT_TRUE(m_store->submit_pipeline(first).ok());
  auto second = m_store->submit_pipeline(three_stages(std::string("nightly")));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->existing);
  EXPECT_EQ(second->pipeline.id, first.pipeline.id);
  ASSERT_EQ(second->calls.size(), 4u);
  EXPECT_EQ(second->calls[0].id, first.calls[0].call.id);
  auto all = m_store->list_pipelines(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(PipelineStoreTest, ListsNewestFirstByPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    NewPipeline np = three_stages();
    ids.push_back(np.pipeline.id);
    ASSERT_TRUE(m_store->submit_pipeline(np).ok());
  }
  auto page = m_store->list_pipelines(std::nullopt, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[2]);
  EXPECT_EQ((*page)[1].id, ids[1]);
  EXPECT_EQ((*page)[0].counts[CallState::waiting], 3);
  auto rest = m_store->list_pipelines(ids[1], 2);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, ids[0]);
}

TEST_P(PipelineStoreTest, APipelineGoesWithTheLastOfItsCalls) {
  NewPipeline np = three_stages();
  ASSERT_TRUE(m_store->submit_pipeline(np).ok());
  std::vector<std::string> none;
  ASSERT_TRUE(m_store->cancel(np.calls[0].call.id, k_t0 + 10, &none).ok());
  auto pruned = m_store->prune(k_t0 + 1'000'000, 100);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(*pruned, 4);  // fetch cancelled, the rest skipped
  EXPECT_EQ(m_store->get_pipeline(np.pipeline.id).error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace fnq::test
