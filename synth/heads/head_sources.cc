#include "synth/heads/head_sources.h"

#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::synth::heads {

HeadSource HeadSource::Open(const HeadSourceOptions& options) {
  HeadSource s;
  s.options_ = options;
  std::string source = options.source;
  if (source == "auto") source = core::IctFacekitAvailable() ? "ict" : "procedural";
  if (source == "ict") {
    const std::filesystem::path root =
        options.ict_root.empty() ? core::IctFacekitRoot() : options.ict_root;
    s.ict_ = std::make_shared<const IctFaceModel>(IctFaceModel::Load(root, options.ict));
    s.name_ = "ict";
  } else if (source == "procedural") {
    s.name_ = "procedural";
  } else {
    s.rigged_ = std::make_shared<const RiggedHead>(RiggedHead::Load(source, options.rigged));
    s.name_ = "rigged:" + source;
  }
  return s;
}

HeadInstance HeadSource::Sample(core::data::Rng& rng, const std::string& expression) const {
  core::data::Rng identity_rng = rng.Fork("identity");
  core::data::Rng expression_rng = rng.Fork("expression");
  const bool random = expression == "random";
  if (ict_) {
    const std::vector<float> identity = ict_->RandomIdentity(identity_rng, options_.identity_sigma);
    if (random) {
      Expression base;
      const ExpressionWeights w = ict_->RandomExpression(expression_rng, &base);
      return ict_->Instantiate(identity, w, std::string("random:") + ExpressionName(base));
    }
    const Expression e = ExpressionFromName(expression);
    return ict_->Instantiate(identity, ict_->Preset(e), ExpressionName(e));
  }
  if (rigged_) {
    if (!random && expression != "neutral")
      throw core::MakeError("{}: rigged models have no expression presets (asked for '{}')", name_,
                            expression);
    return rigged_->Instantiate({});
  }
  ProceduralHeadParams params;
  params.identity = RandomProceduralIdentity(identity_rng, options_.identity_sigma);
  if (random) {
    Expression base;
    params.expression = RandomProceduralExpression(expression_rng, &base);
    params.expression_label = std::string("random:") + ExpressionName(base);
  } else {
    const Expression e = ExpressionFromName(expression);
    params.expression = ProceduralExpressionPreset(e);
    params.expression_label = ExpressionName(e);
  }
  return ProceduralHead::Build(params, options_.procedural);
}

}  // namespace synface::synth::heads
