#include "synth/datagen/head_source.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/heads/appearance.h"
#include "synth/heads/procedural_head.h"

namespace synface::synth::datagen {
namespace {

nlohmann::json Vec(const Eigen::Vector3f& v) { return {v.x(), v.y(), v.z()}; }

nlohmann::json AppearanceJson(const heads::Appearance& a) {
  return {{"skin_tone", a.tone},
          {"haemoglobin", a.haemoglobin},
          {"skin_albedo_linear", Vec(a.skin_albedo)},
          {"lip_albedo_linear", Vec(a.lip_albedo)},
          {"cheek_redness", a.cheek_redness},
          {"brow_albedo_linear", Vec(a.brow_albedo)},
          {"hair_colour", heads::HairColourName(a.hair_colour)},
          {"hair_albedo_linear", Vec(a.hair_albedo)},
          {"iris_colour", heads::IrisColourName(a.iris_colour)},
          {"iris_albedo_linear", Vec(a.iris_albedo)},
          {"skin_roughness", a.skin.roughness},
          {"skin_specular", a.skin.specular},
          {"mottling", a.mottling}};
}

}  // namespace

core::data::Rng SubjectRng(uint64_t dataset_seed, int64_t subject) {
  return core::data::Rng(core::data::StreamSeed(
      core::data::SampleSeed(dataset_seed, static_cast<uint64_t>(subject)), "subject"));
}

HeadSource::HeadSource(const HeadConfig& config, int threads) : config_(config) {
  source_ = config.source;
  if (source_ == "auto") {
    if (core::IctFacekitAvailable()) {
      source_ = "ict";
    } else {
      source_ = "procedural";
      note_ =
          "note: the ICT Face Model was not found (set SYNFACE_ICT_FACEKIT to the folder holding "
          "FaceXModel/); heads default to the built-in procedural head";
    }
  }
  if (source_ == "ict") {
    heads::IctLoadOptions options;
    options.max_identity_modes = config.ict_identity_modes;
    options.dense_count = config.dense_count;
    options.threads = threads;
    ict_ = std::make_shared<const heads::IctFaceModel>(
        heads::IctFaceModel::Load(core::IctFacekitRoot(), options));
  } else if (source_ == "rigged") {
    heads::RiggedHeadOptions options;
    options.neck_bone = config.neck_bone;
    options.head_bone = config.head_bone;
    options.up = config.rigged_up;
    options.forward = config.rigged_forward;
    if (config.rigged_scale > 0) options.scale_to_metres = static_cast<float>(config.rigged_scale);
    rigged_ = std::make_shared<const heads::RiggedHead>(
        heads::RiggedHead::Load(config.rigged_file, options));
  } else if (source_ != "procedural") {
    throw core::MakeError("head.source: unknown head source '{}'", source_);
  }
}

HeadSample HeadSource::Make(uint64_t dataset_seed, uint64_t id, core::data::Rng& rng) const {
  HeadSample out;
  out.subject = static_cast<int64_t>(id / static_cast<uint64_t>(config_.samples_per_subject));
  core::data::Rng subject = SubjectRng(dataset_seed, out.subject);
  core::data::Rng identity_rng = subject.Fork("identity");
  core::data::Rng appearance_rng = subject.Fork("appearance");

  // Expression draws (a fixed number, whatever the head source).
  const size_t preset_index = config_.expressions.Sample(rng);
  const heads::Expression preset =
      heads::ExpressionFromName(config_.expressions.names[preset_index]);
  const float intensity = static_cast<float>(config_.expression_intensity.Sample(rng));
  const bool mix = rng.Uniform() < config_.random_mix_probability;
  const float jaw = static_cast<float>(config_.jaw_open.Sample(rng));
  core::data::Rng mix_rng = rng.Fork("mix");

  nlohmann::json params;
  params["source"] = source_;
  params["subject"] = out.subject;
  std::string label = heads::ExpressionName(preset);
  if (source_ == "ict") {
    const std::vector<float> identity =
        ict_->RandomIdentity(identity_rng, static_cast<float>(config_.identity_sigma));
    heads::ExpressionWeights weights;
    if (mix) {
      heads::Expression base;
      weights = ict_->RandomExpression(mix_rng, &base);
      label = fmt::format("random:{}", heads::ExpressionName(base));
    } else {
      weights = ict_->Preset(preset, intensity);
    }
    if (jaw > 0 && ict_->HasExpression("jawOpen")) {
      weights["jawOpen"] = std::min(1.0f, weights["jawOpen"] + jaw);
    }
    out.head = ict_->Instantiate(identity, weights, label);
  } else if (source_ == "rigged") {
    out.head = rigged_->Instantiate({});  // the model's own identity, morphs at rest
    out.head.expression_label = "neutral";
    label = "neutral";
    params["file"] = config_.rigged_file.string();
    params["eyes_from"] = rigged_->EyeSource();
  } else {
    heads::ProceduralHeadParams p;
    p.identity =
        heads::RandomProceduralIdentity(identity_rng, static_cast<float>(config_.identity_sigma));
    if (mix) {
      heads::Expression base;
      p.expression = heads::RandomProceduralExpression(mix_rng, &base);
      label = fmt::format("random:{}", heads::ExpressionName(base));
    } else {
      p.expression = heads::ProceduralExpressionPreset(preset, intensity);
    }
    p.expression.jaw_open = std::min(1.0f, p.expression.jaw_open + jaw);
    p.expression_label = label;
    heads::ProceduralHeadOptions options;
    options.dense_count = config_.dense_count;
    out.head = heads::ProceduralHead::Build(p, options);
  }
  heads::AppearanceOptions appearance_options;
  appearance_options.tone_min = static_cast<float>(config_.tone.min);
  appearance_options.tone_max = static_cast<float>(config_.tone.max);
  appearance_options.haemoglobin_min = static_cast<float>(config_.haemoglobin.min);
  appearance_options.haemoglobin_max = static_cast<float>(config_.haemoglobin.max);
  const heads::Appearance appearance = heads::SampleAppearance(appearance_rng, appearance_options);
  heads::ApplyAppearance(appearance, &out.head);

  nlohmann::json identity = nlohmann::json::object();
  for (size_t i = 0; i < out.head.identity_names.size(); ++i) {
    identity[out.head.identity_names[i]] = out.head.identity_coefficients[i];
  }
  params["identity"] = identity;
  params["expression"] = {{"label", out.head.expression_label},
                          {"preset", heads::ExpressionName(preset)},
                          {"intensity", intensity},
                          {"random_mix", mix},
                          {"jaw_open_extra", jaw},
                          {"weights", out.head.expression_weights}};
  params["appearance"] = AppearanceJson(appearance);
  params["model"] = out.head.source;
  out.params = params;
  return out;
}

}  // namespace synface::synth::datagen
