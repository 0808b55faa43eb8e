// Submitting calls, idempotency, group commit under concurrency, and reads.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "store_test_fixture.h"

namespace fnq::test {
namespace {

using SubmitTest = StoreTest;
FNQ_STORE_TEST_BACKENDS(SubmitTest);

TEST_P(SubmitTest, RoundTripKeepsEveryField) {
  NewCall nc = make_call("fn", "hello");
  nc.call.priority = 7;
  nc.call.sync = true;
  nc.call.key = "k1";
  nc.call.max_retries = 3;
  nc.call.exec_timeout = Millis(1500);
  nc.call.callback = CallbackInfo{"http://127.0.0.1:9/done", "pending", 0, std::nullopt};
  nc.call.request.method = "PUT";
  nc.call.request.path = "/a/b";
  nc.call.request.query = "x=1";
  nc.call.request.headers = {{"Content-Type", "text/plain"}};
  std::string id = nc.call.id;
  Call stored = submit(nc);
  EXPECT_EQ(stored.id, id);
  EXPECT_EQ(stored.state, CallState::queued);

  Call c = get(id);
  EXPECT_EQ(c.function, "fn");
  EXPECT_EQ(c.state, CallState::queued);
  EXPECT_EQ(c.attempt, 0);
  EXPECT_EQ(c.max_retries, 3);
  EXPECT_EQ(c.priority, 7);
  EXPECT_TRUE(c.sync);
  EXPECT_EQ(c.key, std::optional<std::string>("k1"));
  EXPECT_EQ(c.created_at, k_t0);
  EXPECT_EQ(c.run_at, k_t0);
  EXPECT_FALSE(c.started_at);
  EXPECT_FALSE(c.finished_at);
  EXPECT_EQ(c.exec_timeout, std::optional<Millis>(Millis(1500)));
  EXPECT_EQ(c.input_size, 5u);
  ASSERT_TRUE(c.callback);
  EXPECT_EQ(c.callback->url, "http://127.0.0.1:9/done");
  EXPECT_EQ(c.callback->state, "pending");
  EXPECT_EQ(c.request.method, "PUT");
  EXPECT_EQ(c.request.path, "/a/b");
  EXPECT_EQ(c.request.query, "x=1");
  ASSERT_EQ(c.request.headers.size(), 1u);
  EXPECT_EQ(c.request.headers[0].second, "text/plain");
  EXPECT_EQ(m_store->get_input(id).value(), "hello");
  EXPECT_EQ(m_store->get_output(id).value(), "");
  EXPECT_EQ(m_store->get_stderr(id).value(), "");
}

// submit answers with the call it stored without reading the row back
// (stored_call in sqlite_store_calls.cpp): it must be what get_call reads.
void expect_same_call(const Call& answered, const Call& stored) {
  EXPECT_EQ(to_json(answered), to_json(stored));
  EXPECT_EQ(answered.exec_timeout, stored.exec_timeout);
  EXPECT_EQ(to_json(answered.request), to_json(stored.request));
}

TEST_P(SubmitTest, TheAnswerIsTheStoredCall) {
  std::string done = submit_id();
  run_to(done, CallState::succeeded, "out");
  std::string failed = submit_id("other");
  run_to(failed, CallState::failed);
  std::string pending = submit_id("fn");

  std::vector<NewCall> batch;
  batch.push_back(make_call("fn", "plain"));
  NewCall full = make_call("other", "x");
  full.call.priority = -3;
  full.call.sync = true;
  full.call.key = "k";
  full.call.max_retries = 2;
  full.call.attempt = 1;
  full.call.exec_timeout = Millis(250);
  full.call.run_at = k_t0 + 60'000;
  full.call.callback = CallbackInfo{"http://127.0.0.1:9/cb", "delivered", 4, 200};
  full.call.request = RequestInfo{"GET", "/p", "q=1", {{"X-A", "1"}, {"X-A", "2"}}};
  batch.push_back(full);
  NewCall empty_callback = make_call();
  empty_callback.call.callback = CallbackInfo{"", "pending", 0, std::nullopt};
  batch.push_back(empty_callback);
  NewCall waits = make_call();
  waits.call.needs = {pending, done, pending};
  batch.push_back(waits);
  NewCall skipped = make_call("fn", "in");
  skipped.call.needs = {done, failed};
  skipped.call.callback = CallbackInfo{"http://127.0.0.1:9/cb", "pending", 0, std::nullopt};
  batch.push_back(skipped);
  NewCall piped = make_call();
  piped.call.input_from = done;
  batch.push_back(piped);
  NewCall piped_later = make_call();
  piped_later.call.input_from = pending;
  piped_later.call.needs = {done};
  batch.push_back(piped_later);

  auto answered = m_store->submit(batch);
  ASSERT_TRUE(answered.ok()) << answered.error().message;
  ASSERT_EQ(answered->size(), batch.size());
  for (const SubmitResult& r : *answered) {
    SCOPED_TRACE(r.call.id);
    EXPECT_FALSE(r.existing);
    expect_same_call(r.call, get(r.call.id));
  }
  EXPECT_EQ((*answered)[4].call.state, CallState::skipped);
  EXPECT_EQ((*answered)[5].call.input_size, 3u);  // the output of `done`
}

TEST_P(SubmitTest, BinaryInputSurvives) {
  std::string input("a\0b\xff", 4);
  std::string id = submit_id("fn", input);
  EXPECT_EQ(m_store->get_input(id).value(), input);
}

TEST_P(SubmitTest, FutureRunAtWaits) {
  NewCall nc = make_call();
  nc.call.run_at = k_t0 + 5000;
  EXPECT_EQ(submit(nc).state, CallState::waiting);
}

TEST_P(SubmitTest, UnknownIdsAreNotFound) {
  auto c = m_store->get_call("019a0000-0000-7000-8000-000000000000");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::not_found);
  EXPECT_EQ(m_store->get_output("nope").error().kind, ErrorKind::not_found);
}

TEST_P(SubmitTest, GetCallsKeepsTheOrderAskedAndNamesTheUnknownId) {
  std::string a = submit_id();
  std::string b = submit_id();
  std::string c = submit_id();
  auto calls = m_store->get_calls({c, a, b});
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 3u);
  EXPECT_EQ((*calls)[0].id, c);
  EXPECT_EQ((*calls)[1].id, a);
  EXPECT_EQ((*calls)[2].id, b);

  auto missing = m_store->get_calls({a, "missing-id", b});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_NE(missing.error().message.find("missing-id"), std::string::npos);
}

TEST_P(SubmitTest, UnknownFunctionIsRefused) {
  auto r = m_store->submit({make_call("nosuch")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().message, "unknown function 'nosuch'");
}

TEST_P(SubmitTest, BatchIsAllOrNothing) {
  NewCall good = make_call();
  NewCall bad = make_call();
  bad.call.needs = {"019a0000-0000-7000-8000-00000000beef"};
  auto r = m_store->submit({good, bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().message, "unknown call '019a0000-0000-7000-8000-00000000beef' in needs");
  EXPECT_EQ(m_store->get_call(good.call.id).error().kind, ErrorKind::not_found);
}

TEST_P(SubmitTest, BatchCanNeedAnEarlierCallOfTheSameBatch) {
  NewCall first = make_call();
  NewCall second = make_call();
  second.call.input_from = first.call.id;
  auto r = m_store->submit({first, second});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[1].call.state, CallState::waiting);
  EXPECT_EQ((*r)[1].call.needs, std::vector<std::string>{first.call.id});
}

TEST_P(SubmitTest, IdempotencyKeyReturnsTheExistingCall) {
  NewCall first = make_call("fn", "one");
  first.call.key = "job-1";
  Call a = submit(first);

  NewCall again = make_call("fn", "two");
  again.call.key = "job-1";
  auto r = m_store->submit({again});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].existing);
  EXPECT_EQ((*r)[0].call.id, a.id);
  EXPECT_EQ(m_store->get_call(again.call.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(m_store->get_input(a.id).value(), "one");

  // A repeat is answered even if its needs are gone (pruned) by now.
  NewCall late = make_call();
  late.call.key = "job-1";
  late.call.needs = {"019a0000-0000-7000-8000-000000000009"};
  auto r3 = m_store->submit({late});
  ASSERT_TRUE(r3.ok()) << r3.error().message;
  EXPECT_EQ((*r3)[0].call.id, a.id);

  // The same key for another function is another call.
  NewCall other = make_call("other");
  other.call.key = "job-1";
  auto r2 = m_store->submit({other});
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE((*r2)[0].existing);
}

TEST_P(SubmitTest, ConcurrentSubmitsOfOneKeyCreateOneCall) {
  constexpr int k_threads = 20;
  std::vector<std::string> ids(k_threads);
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      NewCall nc = make_call();
      nc.call.key = "same";
      auto r = m_store->submit({nc});
      ASSERT_TRUE(r.ok()) << r.error().message;
      ids[i] = (*r)[0].call.id;
      if (!(*r)[0].existing) {
        ++created;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(m_store->count_in_state(CallState::queued).value(), 1);
}

TEST_P(SubmitTest, ConcurrentSubmitsAllCommit) {
  constexpr int k_threads = 8;
  constexpr int k_per_thread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < k_per_thread; ++i) {
        auto r = m_store->submit({make_call("fn", "x")});
        if (!r.ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(m_store->count_in_state(CallState::queued).value(), k_threads * k_per_thread);
}

TEST_P(SubmitTest, AFailingSubmitDoesNotDisturbOthersInTheSameBatch) {
  // Group commit puts concurrent writers in one transaction; each gets its
  // own result.
  constexpr int k_threads = 8;
  constexpr int k_per_thread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> good_failed{0};
  std::atomic<int> bad_passed{0};
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        bool bad = (t + i) % 2 == 0;
        auto r = m_store->submit({make_call(bad ? "nosuch" : "fn")});
        if (bad && r.ok()) {
          ++bad_passed;
        }
        if (!bad && !r.ok()) {
          ++good_failed;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(good_failed.load(), 0);
  EXPECT_EQ(bad_passed.load(), 0);
  EXPECT_EQ(m_store->count_in_state(CallState::queued).value(), k_threads * k_per_thread / 2);
}

TEST_P(SubmitTest, FindIdsByPrefix) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(submit_id());
  }
  // UUIDv7 ids made within one millisecond or a few share their first 8 hex digits.
  auto all = m_store->find_ids(ids[0].substr(0, 8), 10);
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->size(), 1u);
  auto exact = m_store->find_ids(ids[1], 10);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact, std::vector<std::string>{ids[1]});
  EXPECT_TRUE(m_store->find_ids("ffffffff", 10)->empty());
  EXPECT_EQ(m_store->find_ids("", 2)->size(), 2u);
}

TEST_P(SubmitTest, ListNewestFirstWithFiltersAndPages) {
  std::vector<std::string> fn_ids;
  for (int i = 0; i < 5; ++i) {
    fn_ids.push_back(submit_id("fn"));
  }
  std::string other_id = submit_id("other");
  run_to(fn_ids[0], CallState::succeeded);  // the oldest is claimed first

  CallFilter all;
  auto page = m_store->list_calls(all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 6u);
  EXPECT_EQ((*page)[0].id, other_id);
  EXPECT_EQ((*page)[5].id, fn_ids[0]);

  CallFilter by_function;
  by_function.function = "fn";
  by_function.limit = 2;
  auto p1 = m_store->list_calls(by_function).value();
  ASSERT_EQ(p1.size(), 2u);
  EXPECT_EQ(p1[0].id, fn_ids[4]);
  EXPECT_EQ(p1[1].id, fn_ids[3]);
  by_function.before = p1[1].id;
  auto p2 = m_store->list_calls(by_function).value();
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[0].id, fn_ids[2]);
  EXPECT_EQ(p2[1].id, fn_ids[1]);

  CallFilter succeeded;
  succeeded.state = CallState::succeeded;
  auto done = m_store->list_calls(succeeded).value();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, fn_ids[0]);

  CallFilter queued_other;
  queued_other.state = CallState::queued;
  queued_other.function = "other";
  auto q = m_store->list_calls(queued_other).value();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].id, other_id);

  CallFilter succeeded_other;
  succeeded_other.state = CallState::succeeded;
  succeeded_other.function = "other";
  EXPECT_TRUE(m_store->list_calls(succeeded_other)->empty());
}

// A function's calls are read one state at a time and merged: the pages
// still run newest first across states, and nothing is missed or repeated.
TEST_P(SubmitTest, ListByFunctionPagesAcrossEveryState) {
  std::string succeeded = submit_id("fn");
  std::string failed = submit_id("fn");
  submit_id("other");
  run_to(succeeded, CallState::succeeded);
  run_to(failed, CallState::failed);
  std::string cancelled = submit_id("fn");
  std::vector<std::string> terminal;
  ASSERT_EQ(m_store->cancel(cancelled, k_t0 + 1, &terminal).value(), CancelResult::cancelled);
  std::string queued = submit_id("fn");
  NewCall later = make_call("fn");
  later.call.run_at = k_t0 + 3'600'000;
  std::string waiting = submit(later).id;
  NewCall after_failed = make_call("fn");
  after_failed.call.needs = {failed};
  Call skipped = submit(after_failed);
  ASSERT_EQ(skipped.state, CallState::skipped);
  submit_id("other");

  std::vector<std::string> expected = {skipped.id, waiting, queued, cancelled, failed, succeeded};
  std::vector<std::string> listed;
  CallFilter by_function;
  by_function.function = "fn";
  by_function.limit = 2;
  for (int page = 0; page < 10; ++page) {
    auto calls = m_store->list_calls(by_function).value();
    for (const Call& c : calls) {
      listed.push_back(c.id);
    }
    if (calls.size() < 2) {
      break;
    }
    by_function.before = calls.back().id;
  }
  EXPECT_EQ(listed, expected);
}

// Submits from many threads at once (which PostgreSQL writes several to a
// transaction): each gets the answer for its own calls, and one naming an
// unknown function fails alone, storing nothing, while the others succeed.
TEST_P(SubmitTest, ConcurrentSubmitsEachGetTheirOwnAnswer) {
  constexpr int k_threads = 12;
  constexpr int k_each = 15;
  std::atomic<int> wrong{0};
  std::vector<std::string> refused_ids;
  std::mutex refused_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_each; ++i) {
        std::vector<NewCall> calls;
        bool bad = t == 0 && i % 3 == 1;
        for (int n = 0; n <= i % 3; ++n) {
          calls.push_back(make_call(bad ? "nosuch" : "fn", "in " + std::to_string(t * 100 + i)));
        }
        std::vector<std::string> ids;
        for (const NewCall& nc : calls) {
          ids.push_back(nc.call.id);
        }
        auto result = m_store->submit(calls);
        if (bad) {
          if (result.ok() || result.error().kind != ErrorKind::not_found) {
            ++wrong;
          }
          std::lock_guard<std::mutex> lock(refused_mutex);
          refused_ids.insert(refused_ids.end(), ids.begin(), ids.end());
          continue;
        }
        if (!result.ok() || result->size() != ids.size()) {
          ++wrong;
          continue;
        }
        for (std::size_t n = 0; n < ids.size(); ++n) {
          if ((*result)[n].call.id != ids[n] || (*result)[n].existing) {
            ++wrong;
          }
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  ASSERT_FALSE(refused_ids.empty());
  for (const std::string& id : refused_ids) {
    EXPECT_EQ(m_store->get_call(id).error().kind, ErrorKind::not_found) << id;
  }
  CallFilter all;
  all.limit = 1000;
  std::size_t good = 0;
  for (int t = 0; t < k_threads; ++t) {
    for (int i = 0; i < k_each; ++i) {
      good += t == 0 && i % 3 == 1 ? 0 : static_cast<std::size_t>(i % 3 + 1);
    }
  }
  EXPECT_EQ(m_store->list_calls(all)->size(), good);
}

TEST_P(SubmitTest, FunctionsCanBeAddedReadUpdatedAndListed) {
  Function f;
  f.name = "resize";
  f.command = {"convert", "-"};
  f.concurrency = 2;
  EXPECT_TRUE(m_store->put_function(f).value());
  f.concurrency = 3;
  EXPECT_FALSE(m_store->put_function(f).value());
  auto got = m_store->get_function("resize");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->command, f.command);
  EXPECT_EQ(got->concurrency, std::optional<int>(3));
  auto names = m_store->list_functions().value();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].name, "fn");
  EXPECT_EQ(names[2].name, "resize");
  EXPECT_EQ(m_store->get_function("nope").error().kind, ErrorKind::not_found);
  f.name = "Bad Name";
  EXPECT_EQ(m_store->put_function(f).error().kind, ErrorKind::invalid_input);
}

// Submits handed over without blocking (the HTTP loop's) share the store's
// work when they arrive together, yet each is all-or-nothing on its own: a
// bad one among them fails alone, and the counts hold only what was stored.
TEST_P(SubmitTest, SubmitThenAnswersEachSubmitAloneWhenTheyShareABatch) {
  constexpr int k_threads = 4;
  constexpr int k_each = 40;
  std::mutex mutex;
  std::condition_variable cv;
  int answered = 0;
  std::vector<std::pair<NewCall, Result<std::vector<SubmitResult>>>> results;
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_each; ++i) {
        NewCall nc = make_call(i % 2 ? "fn" : "other", "in-" + std::to_string(t * k_each + i));
        if (i % 7 == 3) {
          nc.call.needs = {"019a0000-0000-7000-8000-00000000beef"};  // unknown: refused
        }
        std::vector<NewCall> one{nc};
        m_store->submit_then(std::move(one), [&, nc](Result<std::vector<SubmitResult>> r) {
          std::lock_guard<std::mutex> lock(mutex);
          results.emplace_back(nc, std::move(r));
          ++answered;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(20), [&] { return answered == k_threads * k_each; }))
        << answered << " answered";
  }
  std::map<std::string, std::int64_t> stored_per_function;
  for (auto& [nc, r] : results) {
    bool bad = !nc.call.needs.empty();
    if (bad) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().kind, ErrorKind::not_found);
      EXPECT_EQ(m_store->get_call(nc.call.id).error().kind, ErrorKind::not_found);
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(r->front().call.id, nc.call.id);
    EXPECT_EQ(m_store->get_input(nc.call.id).value(), nc.input);
    ++stored_per_function[nc.call.function];
  }
  auto stats = m_store->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  std::map<std::string, std::int64_t> counted;
  for (const auto& [function, state, n] : stats->counts) {
    EXPECT_EQ(state, CallState::queued);
    counted[function] += n;
  }
  EXPECT_EQ(counted, stored_per_function);
}

// A closed store still answers: every submit handed to it gets its error,
// once, and none is left waiting.
TEST_P(SubmitTest, SubmitThenOnAClosedStoreAnswersWithAnError) {
  ASSERT_TRUE(m_store->close().ok());
  int answered = 0;
  std::optional<Error> error;
  m_store->submit_then({make_call()}, [&](Result<std::vector<SubmitResult>> r) {
    ++answered;
    if (!r.ok()) {
      error = r.error();
    }
  });
  EXPECT_EQ(answered, 1);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, ErrorKind::shutting_down);
}

// submit_then, as the HTTP loop uses it: it never waits for the commit (each
// store writes on threads of its own), and each request is answered once,
// with its calls as stored; a request that fails (an unknown function)
// fails alone, whichever requests share its batch. Requests of more calls
// than a shared transaction takes are written alone, and answered too.
TEST_P(SubmitTest, SubmitThenAnswersEveryRequestOnceWithItsOwnCalls) {
  EXPECT_TRUE(m_store->submits_without_blocking());
  constexpr int k_requests = 200;
  std::mutex mutex;
  std::condition_variable all_answered;
  std::map<int, std::vector<Result<std::vector<SubmitResult>>>> answers;
  std::map<int, std::vector<std::string>> asked;  // ids submitted, per request
  for (int i = 0; i < k_requests; ++i) {
    std::vector<NewCall> calls;
    int size = i % 50 == 7 ? 100 : 1 + i % 3;
    for (int j = 0; j < size; ++j) {
      calls.push_back(make_call(i % 10 == 3 ? "nosuch" : "fn", "in-" + std::to_string(i)));
      asked[i].push_back(calls.back().call.id);
    }
    m_store->submit_then(std::move(calls), [&, i](Result<std::vector<SubmitResult>> r) {
      std::lock_guard<std::mutex> lock(mutex);
      answers[i].push_back(std::move(r));
      all_answered.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(all_answered.wait_for(
        lock, std::chrono::seconds(60),
        [&] { return answers.size() == static_cast<std::size_t>(k_requests); }))
        << answers.size() << " of " << k_requests << " answered";
  }
  for (int i = 0; i < k_requests; ++i) {
    ASSERT_EQ(answers[i].size(), 1u) << "request " << i << " answered more than once";
    const auto& r = answers[i].front();
    if (i % 10 == 3) {
      ASSERT_FALSE(r.ok()) << i;
      EXPECT_EQ(r.error().kind, ErrorKind::not_found) << i;
      EXPECT_FALSE(m_store->get_call(asked[i].front()).ok()) << i << " was stored";
      continue;
    }
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    ASSERT_EQ(r->size(), asked[i].size()) << i;
    for (std::size_t j = 0; j < r->size(); ++j) {
      EXPECT_EQ((*r)[j].call.id, asked[i][j]) << i;
      auto stored = m_store->get_input(asked[i][j]);
      ASSERT_TRUE(stored.ok()) << i;
      EXPECT_EQ(*stored, "in-" + std::to_string(i));
    }
  }
}

}  // namespace
}  // namespace fnq::test
