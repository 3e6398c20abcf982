// LR schedules against hand-computed values, and the resumable CSV log.
#include "core/nn/schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/nn/csv_log.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace {
namespace fs = std::filesystem;

TEST(Schedule, ConstantAndWarmup) {
  EXPECT_EQ(LrSchedule().Factor(12345), 1.0);
  ScheduleOptions o;
  o.warmup_steps = 4;
  o.warmup_start_factor = 0.2;
  LrSchedule s(o);
  EXPECT_DOUBLE_EQ(s.Factor(0), 0.2);
  EXPECT_DOUBLE_EQ(s.Factor(2), 0.6);  // 0.2 + 0.8 * 2/4
  EXPECT_DOUBLE_EQ(s.Factor(4), 1.0);
  EXPECT_DOUBLE_EQ(s.Lr(0.5, 1), 0.5 * 0.4);
}

TEST(Schedule, StepAndMultiStep) {
  ScheduleOptions o;
  o.kind = ScheduleKind::kStep;
  o.step_size = 30;
  o.gamma = 0.1;
  LrSchedule s(o);
  EXPECT_DOUBLE_EQ(s.Factor(0), 1.0);
  EXPECT_DOUBLE_EQ(s.Factor(29), 1.0);
  EXPECT_DOUBLE_EQ(s.Factor(30), 0.1);
  EXPECT_DOUBLE_EQ(s.Factor(65), 0.01);
  // Thesis Ch. 4: Adam 5e-5, divided by 10 every 50 epochs.
  o.step_size = 50;
  EXPECT_DOUBLE_EQ(LrSchedule(o).Lr(5e-5, 120), 5e-7);

  ScheduleOptions m;
  m.kind = ScheduleKind::kMultiStep;
  m.milestones = {10, 20};
  m.gamma = 0.5;
  LrSchedule ms(m);
  EXPECT_DOUBLE_EQ(ms.Factor(9), 1.0);
  EXPECT_DOUBLE_EQ(ms.Factor(10), 0.5);
  EXPECT_DOUBLE_EQ(ms.Factor(25), 0.25);
  m.milestones = {20, 10};
  EXPECT_THROW(LrSchedule{m}, Error);
}

TEST(Schedule, PolyAsInTheThesisCode) {
  // lr = 0.1 (1 - step/total)^2, total = 100.
  ScheduleOptions o;
  o.kind = ScheduleKind::kPoly;
  o.total_steps = 100;
  LrSchedule s(o);
  EXPECT_DOUBLE_EQ(s.Lr(0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(s.Lr(0.1, 50), 0.025);
  EXPECT_NEAR(s.Lr(0.1, 99), 1e-5, 1e-18);
  EXPECT_DOUBLE_EQ(s.Lr(0.1, 100), 0.0);
  EXPECT_DOUBLE_EQ(s.Lr(0.1, 150), 0.0);
  o.power = 1.0;
  o.warmup_steps = 10;  // decay over the 90 steps after warm-up
  LrSchedule w(o);
  EXPECT_DOUBLE_EQ(w.Factor(5), 0.5);
  EXPECT_DOUBLE_EQ(w.Factor(10), 1.0);
  EXPECT_DOUBLE_EQ(w.Factor(55), 0.5);
  EXPECT_EQ(w.Describe(), "poly(total=100, power=1, warmup=10 from 0)");
  o.total_steps = 10;
  EXPECT_THROW(LrSchedule{o}, Error);
}

TEST(Schedule, CosineWithWarmupAndFloor) {
  ScheduleOptions o;
  o.kind = ScheduleKind::kCosine;
  o.total_steps = 100;
  o.warmup_steps = 10;
  LrSchedule s(o);
  EXPECT_DOUBLE_EQ(s.Factor(0), 0.0);
  EXPECT_DOUBLE_EQ(s.Factor(5), 0.5);
  EXPECT_DOUBLE_EQ(s.Factor(10), 1.0);
  EXPECT_NEAR(s.Factor(55), 0.5, 1e-15);  // halfway: (1 + cos(pi/2)) / 2
  EXPECT_NEAR(s.Factor(100), 0.0, 1e-15);
  o.min_factor = 0.1;
  LrSchedule f(o);
  EXPECT_NEAR(f.Factor(55), 0.55, 1e-15);
  EXPECT_NEAR(f.Factor(32), 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 22 / 90.0)), 1e-15);
  EXPECT_DOUBLE_EQ(f.Factor(1000), 0.1);
}

TEST(Schedule, KindsByName) {
  EXPECT_EQ(ParseScheduleKind("cosine"), ScheduleKind::kCosine);
  EXPECT_EQ(ScheduleKindName(ParseScheduleKind("multistep")), "multistep");
  try {
    ParseScheduleKind("linear");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: constant, step, multistep, poly, cosine"),
              std::string::npos);
  }
}

fs::path TempFile(const std::string& name) {
  const char* env = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(env ? env : "/tmp") / "core_nn_schedule_test";
  fs::create_directories(dir);
  return dir / name;
}

TEST(CsvLog, AppendsAndTruncatesOnResume) {
  const fs::path path = TempFile("log.csv");
  {
    CsvLog log(path, -1);
    for (int64_t step = 1; step <= 5; ++step) log.Append(step, {{"loss", 1.0 / step}, {"lr", 0.1}});
  }
  EXPECT_EQ(ReadFile(path),
            "step,loss,lr\n1,1,0.1\n2,0.5,0.1\n3,0.3333333333333333,0.1\n4,0.25,0.1\n5,0.2,0.1\n");
  // A killed writer may leave a torn last line; resuming at step 3 keeps rows 1..3 only.
  WriteFileAtomic(path, ReadFile(path) + "6,0.16");
  {
    CsvLog log(path, 3);
    EXPECT_EQ(log.columns(), (std::vector<std::string>{"loss", "lr"}));
    log.Append(4, {{"loss", 9.0}, {"lr", 0.1}});
    EXPECT_THROW(log.Append(5, {{"lr", 0.1}, {"loss", 9.0}}), Error);
  }
  EXPECT_EQ(ReadFile(path),
            "step,loss,lr\n1,1,0.1\n2,0.5,0.1\n3,0.3333333333333333,0.1\n4,9,0.1\n");
  // Starting over replaces the file.
  CsvLog fresh(path, -1);
  EXPECT_EQ(ReadFile(path), "");
  WriteFileAtomic(path, "epoch,loss\n1,2\n");
  EXPECT_THROW(CsvLog(path, 1), Error);
}

}  // namespace
}  // namespace synface::core::nn
