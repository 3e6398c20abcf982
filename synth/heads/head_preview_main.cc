// Contact sheet of heads for a person to look at:
//   bazel run //synth/heads:head_preview -- source=procedural seed=1 count=4 out=heads.png
// source = procedural | ict | <path of a rigged model (FBX, glTF, Collada, ...)>;
// expression = neutral | angry | happy | sad | scared | random; for rigged models neck_bone= and
// head_bone= name the bones. views = a comma list of front, three_quarter, profile, below, back,
// posed, parts, normals; view_height (metres shown vertically) and target=x,y,z zoom in. Each row
// is one head: front, 3/4 and profile views, the head posed about its neck (yaw 30, pitch 20), part
// classes, normals.
#include <cstdio>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/rotation.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/heads/appearance.h"
#include "synth/heads/head_sources.h"
#include "synth/heads/preview.h"

namespace {

using namespace synface;
using namespace synface::synth::heads;

int Run(int argc, char** argv) {
  std::map<std::string, std::string> args = {
      {"source", "procedural"},
      {"seed", "1"},
      {"count", "3"},
      {"expression", "random"},
      {"out", "heads.png"},
      {"size", "256"},
      {"views", "front,three_quarter,profile,posed,parts,normals"},
      {"view_height", "0.34"},
      {"target", "0,0,0"},
      {"neck_bone", "NeckTwist01"},
      {"head_bone", "Head"}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (eq == std::string::npos || !args.count(a.substr(0, eq)))
      throw core::MakeError(
          "argument '{}': expected key=value with key in source, seed, count, "
          "expression, out, size, views, view_height, target, neck_bone, head_bone",
          a);
    args[a.substr(0, eq)] = a.substr(eq + 1);
  }
  const int count = std::stoi(args["count"]), size = std::stoi(args["size"]);
  const uint64_t seed = std::stoull(args["seed"]);
  HeadSourceOptions source_options;
  source_options.source = args["source"];
  source_options.rigged.neck_bone = args["neck_bone"];
  source_options.rigged.head_bone = args["head_bone"];
  if (source_options.source != "procedural" && source_options.source != "ict")
    source_options.source = core::ResolveUserPath(source_options.source).string();
  const HeadSource heads = HeadSource::Open(source_options);

  std::vector<cv::Mat> rows;
  for (int i = 0; i < count; ++i) {
    core::data::Rng rng = core::data::SampleRng(seed, static_cast<uint64_t>(i));
    HeadInstance head = heads.Sample(rng, args["expression"]);
    ApplyAppearance(SampleAppearance(rng), &head);
    const PosedHead rest = PoseAboutNeck(head, Eigen::Matrix3d::Identity());
    const PosedHead turned = PoseAboutNeck(
        head, core::geometry::RotationFromHeadPose(core::geometry::HeadPoseFromDegrees(30, 20, 0)));
    std::vector<cv::Mat> views;
    std::string list = args["views"] + ",";
    for (size_t start = 0, comma; (comma = list.find(',', start)) != std::string::npos;
         start = comma + 1) {
      const std::string view = list.substr(start, comma - start);
      PreviewOptions o;
      o.width = o.height = size;
      o.view_height = std::stod(args["view_height"]);
      if (std::sscanf(args["target"].c_str(), "%lf,%lf,%lf", &o.target.x(), &o.target.y(),
                      &o.target.z()) != 3)
        throw core::MakeError("target '{}': expected x,y,z in metres", args["target"]);
      const PosedHead* posed = &rest;
      if (view == "front") {
      } else if (view == "three_quarter") {
        o.yaw = core::geometry::DegToRad(35.0);
      } else if (view == "profile") {
        o.yaw = core::geometry::DegToRad(90.0);
      } else if (view == "below") {
        o.pitch = core::geometry::DegToRad(35.0);
      } else if (view == "back") {
        o.yaw = core::geometry::DegToRad(180.0);
      } else if (view == "posed") {
        posed = &turned;
      } else if (view == "parts") {
        o.mode = PreviewOptions::Mode::kParts;
      } else if (view == "normals") {
        o.mode = PreviewOptions::Mode::kNormals;
        o.yaw = core::geometry::DegToRad(-35.0);
        o.landmarks = false;
      } else {
        throw core::MakeError(
            "views: unknown view '{}' (front, three_quarter, profile, below, "
            "back, posed, parts, normals)",
            view);
      }
      views.push_back(RenderPreview(head, *posed, o));
    }
    cv::Mat row;
    cv::hconcat(views, row);
    cv::putText(row, head.source + " " + head.expression_label, cv::Point(4, 14),
                cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    rows.push_back(row);
  }
  cv::Mat sheet;
  cv::vconcat(rows, sheet);
  const std::string out = core::ResolveUserPath(args["out"]).string();
  if (!cv::imwrite(out, sheet)) throw core::MakeError("{}: could not write the image", out);
  std::printf("wrote %s (%d heads)\n", out.c_str(), count);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  synface::core::InitRunfiles(argv[0]);
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "head_preview: %s\n", e.what());
    return 1;
  }
}
