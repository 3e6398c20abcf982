#include "synth/heads/procedural_head.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include "core/util/error.h"

namespace synface::synth::heads {
namespace {

using Vec2 = Eigen::Vector2f;
using Vec3 = Eigen::Vector3f;
using core::MakeError;
constexpr float kPi = 3.14159265358979f;

float SmoothStep(float e0, float e1, float x) {
  const float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}
float Lerp(float a, float b, float t) { return a + (b - a) * t; }
// Polynomial smooth maximum (blend width k).
float SMax(float a, float b, float k) {
  const float h = std::max(k - std::abs(a - b), 0.0f) / k;
  return std::max(a, b) + h * h * k * 0.25f;
}

// Exit distance of the ray o + t d (|d| = 1) from an axis-aligned ellipsoid; 0 when it misses or
// lies behind.
float EllipsoidExit(const Vec3& o, const Vec3& d, const Vec3& centre, const Vec3& radii) {
  const Vec3 p = (o - centre).cwiseQuotient(radii), q = d.cwiseQuotient(radii);
  const float a = q.squaredNorm(), b = p.dot(q), c = p.squaredNorm() - 1.0f;
  const float disc = b * b - a * c;
  if (disc <= 0) return 0.0f;
  return std::max(0.0f, (-b + std::sqrt(disc)) / a);
}

// Exit distance from a capped vertical elliptic cylinder (axis x = 0, z = cz) for a ray from
// inside it.
float NeckExit(const Vec3& o, const Vec3& d, float cz, float rx, float rz, float bottom,
               float top) {
  float exit = 1e3f;
  const float px = o.x() / rx, pz = (o.z() - cz) / rz, qx = d.x() / rx, qz = d.z() / rz;
  const float a = qx * qx + qz * qz;
  if (a > 1e-12f) {
    const float b = px * qx + pz * qz, c = px * px + pz * pz - 1.0f;
    const float disc = b * b - a * c;
    if (disc <= 0) return 0.0f;
    exit = (-b + std::sqrt(disc)) / a;
  }
  if (d.y() < -1e-9f) exit = std::min(exit, (bottom - o.y()) / d.y());
  if (d.y() > 1e-9f) exit = std::min(exit, (top - o.y()) / d.y());
  return std::max(exit, 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Physical shape from the parameters (anatomical frame: x = subject's left, y up, z forward,
// origin at the eye midpoint; metres).

struct Shape {
  Vec3 centre;  // of the star-shaped skin
  Vec3 cranium_c, cranium_r, face_c, face_r, jaw_c, jaw_r, chin_c, chin_r;
  float neck_r, neck_cz, neck_bottom, neck_top;
  // Eyes. Almond: corners at -inner (medial) and +outer (lateral) of the eye centre.
  float half_ipd, eyeball_r, cornea;
  float eye_inner, eye_outer, eye_inner_y, eye_outer_y, lid_up, lid_low;
  float open[2];  // per side (0: subject's left, +x; 1: right): 1 - eye_close
  // Nose.
  float nasion_y, nasion_z, tip_y, tip_z, base_y, base_z, alar_w, bridge_w;
  // Mouth (neutral): lip line height, half-width, lip heights and protrusions.
  float mouth_y, mouth_w, upper_h, lower_h, upper_p, lower_p;
  // Mouth-local coordinates (set once the grid exists): the lip line is the grid row at polar
  // angle mouth_theta; the corners are the columns at azimuth +-mouth_phi.
  float mouth_theta = 0, mouth_phi = 0, mouth_radius = 0;
  float cheekbone, brow_ridge;
  float ear_y, ear_z, ear_h, ear_w, ear_p;
  std::array<Vec2, 5> brow;  // subject's right brow, lateral to medial (landmarks 17..21)
  int hair_style;
  float hairline_y;
  Vec3 hinge;
  float face_scale_y;
};

Shape ShapeFrom(const ProceduralIdentity& id, const ProceduralExpression& ex) {
  Shape s;
  const float fh = 1.0f + 0.05f * id.face_height;
  const float sw = 1.0f + 0.045f * id.skull_width;
  s.face_scale_y = fh;
  s.centre = Vec3(0.0f, -0.03f, -0.075f);
  s.cranium_r =
      Vec3(0.078f * sw, 0.096f + 0.005f * id.skull_height, 0.0969f + 0.0035f * id.skull_depth);
  s.cranium_c = Vec3(0.0f, 0.012f, -0.0711f - 0.0035f * id.skull_depth);
  s.face_c = Vec3(0.0f, -0.045f * fh, -0.03f);
  s.face_r = Vec3(0.062f * (0.5f + 0.5f * sw), 0.055f * fh, 0.062f);
  s.jaw_c = Vec3(0.0f, -0.07f * fh, -0.04f);
  s.jaw_r = Vec3(0.058f + 0.004f * id.jaw_width, 0.042f * fh, 0.06f);
  s.chin_c = Vec3(0.0f, -0.094f * fh, 0.0f + 0.004f * id.chin_projection);
  s.chin_r = Vec3(0.024f + 0.003f * id.chin_width, 0.019f * fh, 0.026f);
  s.neck_r = 0.057f + 0.004f * id.neck_width;
  s.neck_cz = -0.072f;
  s.neck_bottom = -0.23f;
  s.neck_top = -0.02f;

  const float es = 1.0f + 0.07f * id.eye_size;
  s.half_ipd = 0.031f + 0.0015f * id.eye_spacing;
  s.eyeball_r = 0.0122f + 0.0003f * id.eye_size;
  s.cornea = 0.0018f;
  s.eye_inner = 0.0126f * es;
  s.eye_outer = 0.0136f * es;
  s.eye_inner_y = -0.0036f;
  s.eye_outer_y = -0.0018f;
  s.lid_up = 0.0068f * es;
  s.lid_low = 0.0032f * es;
  s.open[0] = 1.0f - ex.eye_close_left;
  s.open[1] = 1.0f - ex.eye_close_right;

  s.nasion_y = 0.0013f;
  s.nasion_z = 0.0274f + 0.003f * id.nose_bridge;
  s.tip_y = -(0.032f + 0.003f * id.nose_length) * fh;
  s.base_y = -(0.048f + 0.003f * id.nose_length) * fh;
  s.tip_z = 0.0508f + 0.004f * id.nose_projection;
  s.base_z = 0.0358f + 0.002f * id.nose_projection;
  s.alar_w = 0.0175f + 0.002f * id.nose_width;
  s.bridge_w = 0.0065f + 0.0008f * id.nose_width;

  const float lips = 1.0f + 0.15f * id.lip_thickness;
  s.mouth_y = -0.0697f * fh;
  s.mouth_w = 0.0253f + 0.002f * id.mouth_width;
  s.upper_h = 0.0086f * lips;
  s.lower_h = 0.0098f * lips;
  s.upper_p = 0.0055f * lips;
  s.lower_p = 0.0065f * lips;

  s.cheekbone = 0.004f + 0.002f * id.cheekbones;
  s.brow_ridge = 0.003f + 0.0015f * id.brow_ridge;
  const float ear = 1.0f + 0.08f * id.ear_size;
  s.ear_y = -0.022f * fh;
  s.ear_z = -0.080f;
  s.ear_h = 0.031f * ear;
  s.ear_w = 0.017f * ear;
  s.ear_p = 0.017f + 0.004f * id.ear_protrusion;
  // Brow landmark line (ICT neutral head, relative to the eye centre), scaled with the eye.
  const Vec2 brow_offsets[5] = {{-0.0272f, 0.0159f},
                                {-0.0183f, 0.0237f},
                                {-0.0069f, 0.0265f},
                                {0.0069f, 0.0258f},
                                {0.0193f, 0.0230f}};
  for (int i = 0; i < 5; ++i)
    s.brow[i] = Vec2(-s.half_ipd + brow_offsets[i].x() * es, brow_offsets[i].y());
  s.hair_style = id.hair_style;
  s.hairline_y = 0.072f + 0.008f * id.hairline;
  s.hinge = Vec3(0.0f, -0.028f, -0.068f);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The grid: rows (polar angle from the crown) and columns (azimuth, 0 = straight ahead, positive
// towards the subject's left), denser over the face; the lip line is one row and the mouth
// corners are two columns.

constexpr int kMouthHalfColumns = 14;
constexpr float kJawAngle = 0.36f;  // radians at jaw_open = 1 (~21 degrees)

// Inverse of the cumulative density on [lo, hi] sampled finely: maps fractions to angles.
class Warp {
 public:
  template <typename Density>
  Warp(double lo, double hi, Density density) : lo_(lo), hi_(hi) {
    constexpr int n = 4096;
    cdf_.resize(n + 1);
    cdf_[0] = 0;
    for (int i = 0; i < n; ++i) {
      const double a = lo + (hi - lo) * (i + 0.5) / n;
      cdf_[i + 1] = cdf_[i] + density(a);
    }
    for (double& c : cdf_) c /= cdf_.back();
  }
  double Fraction(double angle) const {
    const double x = std::clamp((angle - lo_) / (hi_ - lo_), 0.0, 1.0) * (cdf_.size() - 1);
    const size_t i = std::min(static_cast<size_t>(x), cdf_.size() - 2);
    return cdf_[i] + (cdf_[i + 1] - cdf_[i]) * (x - i);
  }
  double Angle(double fraction) const {
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), fraction);
    const size_t i = std::clamp<size_t>(it - cdf_.begin(), 1, cdf_.size() - 1);
    const double t = (fraction - cdf_[i - 1]) / std::max(cdf_[i] - cdf_[i - 1], 1e-15);
    return lo_ + (hi_ - lo_) * (i - 1 + std::clamp(t, 0.0, 1.0)) / (cdf_.size() - 1);
  }

 private:
  double lo_, hi_;
  std::vector<double> cdf_;
};

double RaisedCosine(double x, double lo, double hi, double edge) {
  if (x < lo - edge || x > hi + edge) return 0.0;
  if (x < lo) return 0.5 - 0.5 * std::cos(kPi * (x - (lo - edge)) / edge);
  if (x > hi) return 0.5 + 0.5 * std::cos(kPi * (x - hi) / edge);
  return 1.0;
}

const Warp& PolarWarp() {
  static const Warp warp(0.0, kPi, [](double t) {
    // Face band ~50-140 degrees, and the eyes' rows (~63-77 degrees) denser still.
    return 1.0 + 2.2 * RaisedCosine(t, 0.85, 2.4, 0.35) + 3.0 * RaisedCosine(t, 1.10, 1.34, 0.07);
  });
  return warp;
}
const Warp& AzimuthWarp() {
  static const Warp warp(0.0, kPi, [](double p) {
    // |azimuth| < ~70 degrees, and the eyes' columns (~9-33 degrees) denser still.
    return 0.6 + 2.0 * RaisedCosine(p, -1.0, 1.2, 0.5) + 2.2 * RaisedCosine(p, 0.16, 0.58, 0.09);
  });
  return warp;
}

struct Grid {
  int n_phi = 0, n_theta = 0;
  int mouth_row = 0, centre_col = 0;
  std::vector<float> theta, phi;  // per row / column
  std::vector<Vec3> dir;          // per grid vertex (row-major)
  int Index(int row, int col) const { return row * n_phi + col; }
};

// Angle of the direction from the skin centre to a point: polar from +y, azimuth from +z to +x.
void Angles(const Shape& s, const Vec3& p, float* theta, float* phi) {
  const Vec3 d = (p - s.centre).normalized();
  *theta = std::acos(std::clamp(d.y(), -1.0f, 1.0f));
  *phi = std::atan2(d.x(), d.z());
}

Grid MakeGrid(const ProceduralHeadOptions& o, Shape* s) {
  Grid g;
  g.n_phi = o.azimuth_steps;
  g.n_theta = o.polar_steps;
  g.centre_col = g.n_phi / 2;
  // The lip line point at the midline and the mouth corner (rough depths of the neutral face).
  float mouth_theta, unused, corner_theta, corner_phi;
  Angles(*s, Vec3(0.0f, s->mouth_y, 0.034f), &mouth_theta, &unused);
  Angles(*s, Vec3(s->mouth_w, s->mouth_y, 0.021f), &corner_theta, &corner_phi);
  s->mouth_theta = mouth_theta;
  s->mouth_phi = corner_phi;
  s->mouth_radius = (Vec3(0.0f, s->mouth_y, 0.034f) - s->centre).norm();

  // Rows: the mouth row index is fixed by the mean face so that every identity has the same
  // topology; rows above and below it are spread by the density within each segment.
  const Warp& pw = PolarWarp();
  static const int mouth_row = [] {
    Shape mean = ShapeFrom({}, {});
    float t, p;
    Angles(mean, Vec3(0.0f, mean.mouth_y, 0.034f), &t, &p);
    return static_cast<int>(std::lround(PolarWarp().Fraction(t) * 120.0));
  }();
  g.mouth_row =
      std::clamp(static_cast<int>(std::lround(mouth_row * g.n_theta / 120.0)), 2, g.n_theta - 3);
  const double fm = pw.Fraction(mouth_theta);
  g.theta.resize(g.n_theta);
  for (int j = 0; j < g.n_theta; ++j) {
    const double f = j <= g.mouth_row
                         ? fm * (j + 1) / (g.mouth_row + 1)
                         : fm + (1 - fm) * (j - g.mouth_row) / double(g.n_theta - g.mouth_row);
    g.theta[j] = static_cast<float>(pw.Angle(f));
  }
  // Columns: centre column at azimuth 0, mouth corners at +-kMouthHalfColumns, back at +-pi.
  const Warp& aw = AzimuthWarp();
  const double fc = aw.Fraction(corner_phi);
  const int half = g.n_phi / 2;
  g.phi.resize(g.n_phi);
  for (int k = 0; k <= half; ++k) {
    const double f = k <= kMouthHalfColumns ? fc * k / kMouthHalfColumns
                                            : fc + (1 - fc) * (k - kMouthHalfColumns) /
                                                       double(half - kMouthHalfColumns);
    const float a = static_cast<float>(aw.Angle(f));
    g.phi[g.centre_col + k < g.n_phi ? g.centre_col + k : 0] = k == half ? -kPi : a;
    g.phi[g.centre_col - k] = -a;
  }
  g.dir.resize(static_cast<size_t>(g.n_phi) * g.n_theta);
  for (int j = 0; j < g.n_theta; ++j)
    for (int i = 0; i < g.n_phi; ++i) {
      const float st = std::sin(g.theta[j]), ct = std::cos(g.theta[j]);
      g.dir[g.Index(j, i)] = Vec3(st * std::sin(g.phi[i]), ct, st * std::cos(g.phi[i]));
    }
  return g;
}

// ---------------------------------------------------------------------------------------------
// The skin radius along one direction, and what the direction shows.

struct SkinSample {
  float r = 0;
  float opening = 0;  // eyelid opening weight (the skin dives behind the eyeball)
  float hair = 0;     // hair cap mask
  float brow = 0;     // eyebrow mask
  float ear = 0;      // inside an ear (excluded from hair)
};

// Eye-plane coordinates of a direction for the eye on `side` (0: +x): lateral, vertical.
Vec2 EyePlane(const Shape& s, const Vec3& d, int side) {
  const float eye_x = side == 0 ? s.half_ipd : -s.half_ipd;
  const float plane_z = s.eyeball_r;
  const float t = (plane_z - s.centre.z()) / std::max(d.z(), 1e-3f);
  const Vec3 q = s.centre + t * d;
  return Vec2((q.x() - eye_x) * (side == 0 ? 1.0f : -1.0f), q.y());
}

// The lid margin in eye-plane coordinates at almond fraction t (0 inner corner .. 1 outer).
void LidCurves(const Shape& s, int side, float t, float* upper, float* lower) {
  const float line = Lerp(s.eye_inner_y, s.eye_outer_y, t);
  const float tc = std::clamp(t, 0.0f, 1.0f);
  const float up_shape = std::pow(std::max(0.0f, std::sin(kPi * std::pow(tc, 0.8f))), 0.9f);
  const float lo_shape = std::pow(std::max(0.0f, std::sin(kPi * std::pow(tc, 1.2f))), 0.9f);
  const float closed = line - 0.3f * s.lid_low * lo_shape;
  const float open = std::max(s.open[side], 0.0f);
  *upper = closed + (line + s.lid_up * up_shape - closed) * open;
  *lower = closed + (line - s.lid_low * lo_shape - closed) * open;
}

float EyeOpening(const Shape& s, const Vec3& d, int side) {
  const Vec2 q = EyePlane(s, d, side);
  const float t = (q.x() + s.eye_inner) / (s.eye_inner + s.eye_outer);
  if (t <= 0.0f || t >= 1.0f) return 0.0f;
  float upper, lower;
  LidCurves(s, side, t, &upper, &lower);
  // A ramp over ~2.5 mm (a few grid cells): the visible lid margin is where the diving skin
  // crosses the eyeball, near W ~ 0.1, and follows the almond smoothly instead of the grid.
  const float inside = std::min(upper - q.y(), q.y() - lower);
  return SmoothStep(-0.0002f, 0.0025f, inside);
}

// Hairline height by azimuth (degrees from the front), piecewise linear.
float HairlineY(const Shape& s, float azimuth_deg) {
  const float a = std::abs(azimuth_deg);
  const float nape = s.hair_style == 2 ? -0.09f : -0.06f;
  const float table[][2] = {{0, s.hairline_y},
                            {30, s.hairline_y - 0.004f},
                            {55, s.hairline_y - 0.02f},
                            {72, 0.02f},
                            {88, -0.012f},
                            {100, 0.016f},
                            {125, -0.02f},
                            {180, nape}};
  for (size_t i = 1; i < std::size(table); ++i)
    if (a <= table[i][0])
      return Lerp(table[i - 1][1], table[i][1],
                  (a - table[i - 1][0]) / (table[i][0] - table[i - 1][0]));
  return nape;
}

float DistanceToPolyline(const std::array<Vec2, 5>& line, const Vec2& p, float* fraction) {
  float best = 1e9f, best_s = 0, s = 0, total = 0;
  for (size_t i = 1; i < line.size(); ++i) total += (line[i] - line[i - 1]).norm();
  for (size_t i = 1; i < line.size(); ++i) {
    const Vec2 ab = line[i] - line[i - 1];
    const float len = ab.norm();
    const float t = std::clamp((p - line[i - 1]).dot(ab) / (len * len), 0.0f, 1.0f);
    const float dist = (line[i - 1] + t * ab - p).norm();
    if (dist < best) {
      best = dist;
      best_s = s + t * len;
    }
    s += len;
  }
  *fraction = best_s / total;
  return best;
}

// Depth (z) of the nose surface at (x, y); very negative where there is no nose.
float NoseDepth(const Shape& s, float x, float y) {
  float z_d, w, h;
  if (y >= s.nasion_y) {
    // Above the nasion the ridge sinks into the glabella.
    z_d = s.nasion_z - 0.8f * (y - s.nasion_y);
    w = s.bridge_w;
    h = 0.006f;
  } else if (y >= s.tip_y) {
    const float u = (s.nasion_y - y) / (s.nasion_y - s.tip_y);
    z_d = Lerp(s.nasion_z, s.tip_z, u) + 0.001f * std::sin(kPi * u);
    w = Lerp(s.bridge_w, 0.55f * s.alar_w, std::pow(u, 1.5f));
    h = Lerp(0.006f, 0.022f, u);
  } else if (y >= s.base_y) {
    const float v = (s.tip_y - y) / (s.tip_y - s.base_y);
    z_d = s.base_z + (s.tip_z - s.base_z) * std::sqrt(std::max(0.0f, 1.0f - v * v));
    w = Lerp(0.55f * s.alar_w, 0.45f * s.alar_w, v);
    h = z_d - (s.base_z - 0.004f);
  } else {
    return -1.0f;
  }
  const float u = std::abs(x) / w;
  float z = (z_d - h) + h * (1.0f - std::pow(u, 2.2f));
  // Alae: rounded wings either side of the tip's base.
  const Vec2 ala(s.alar_w - 0.0055f, s.base_y + 0.0045f);
  const float rho2 = (Vec2(std::abs(x), y) - ala).squaredNorm() / (0.0058f * 0.0058f);
  if (rho2 < 1.0f) z = SMax(z, (s.base_z - 0.0065f) + 0.0078f * std::sqrt(1.0f - rho2), 0.002f);
  return z;
}

SkinSample EvaluateSkin(const Shape& s, const Vec3& d, float theta, float phi) {
  const Vec3& c = s.centre;
  float r = EllipsoidExit(c, d, s.cranium_c, s.cranium_r);
  r = SMax(r, EllipsoidExit(c, d, s.face_c, s.face_r), 0.012f);
  r = SMax(r, EllipsoidExit(c, d, s.jaw_c, s.jaw_r), 0.012f);
  r = SMax(r, EllipsoidExit(c, d, s.chin_c, s.chin_r), 0.010f);
  r = SMax(r, NeckExit(c, d, s.neck_cz, s.neck_r, 1.08f * s.neck_r, s.neck_bottom, s.neck_top),
           0.02f);
  const Vec3 p0 = c + r * d;
  const float x = p0.x(), y = p0.y(), z = p0.z();
  const float ax = std::abs(x);
  SkinSample out;
  float delta = 0.0f;
  if (z > -0.03f) {
    // Brow ridges, cheekbones, eye sockets.
    // (Each Gaussian is skipped where it is below ~1e-4 of its amplitude.)
    const float eye_dx = ax - s.half_ipd;
    if (std::abs(y - 0.021f) < 0.021f && std::abs(eye_dx - 0.004f) < 0.054f)
      delta += s.brow_ridge * std::exp(-std::pow((eye_dx - 0.004f) / 0.018f, 2.0f) -
                                       std::pow((y - 0.021f) / 0.007f, 2.0f));
    if (std::abs(y + 0.025f) < 0.036f && std::abs(ax - 0.045f) < 0.042f)
      delta += s.cheekbone * std::exp(-std::pow((ax - 0.045f) / 0.014f, 2.0f) -
                                      std::pow((y + 0.025f) / 0.012f, 2.0f));
    if (std::abs(y - 0.002f) < 0.033f && std::abs(eye_dx) < 0.048f)
      delta -= 0.0035f *
               std::exp(-std::pow(eye_dx / 0.016f, 2.0f) - std::pow((y - 0.002f) / 0.011f, 2.0f));
    // Lips and the chin's groove, in mouth-local coordinates (the lip line is the grid row).
    const float u = phi / s.mouth_phi;
    const float my = -(theta - s.mouth_theta) * s.mouth_radius;
    if (std::abs(u) < 1.6f && my > -0.04f && my < 0.025f) {
      const float a = std::pow(std::max(0.0f, 1.0f - u * u), 0.6f);
      delta +=
          a *
          (s.upper_p * std::exp(-std::pow((my - 0.4f * s.upper_h) / (0.55f * s.upper_h), 2.0f)) +
           s.lower_p * std::exp(-std::pow((my + 0.45f * s.lower_h) / (0.55f * s.lower_h), 2.0f)) -
           0.0015f * std::exp(-std::pow(my / 0.0012f, 2.0f)));
      delta -= 0.002f * std::exp(-std::pow(u / 0.9f, 2.0f) -
                                 std::pow((my + s.lower_h + 0.008f) / 0.004f, 2.0f));
    }
  }
  // Ears: a raised rim around a hollow (concha), tilted back, on either side.
  if (ax > 0.04f && z < -0.03f) {
    const float dy = y - s.ear_y, dz = z - s.ear_z;
    const float tilt = 0.26f;  // 15 degrees, the top leans back
    const float ey = dy * std::cos(tilt) + dz * std::sin(tilt);
    const float ez = -dy * std::sin(tilt) + dz * std::cos(tilt);
    const float rho2 = ey * ey / (s.ear_h * s.ear_h) + ez * ez / (s.ear_w * s.ear_w);
    out.ear = rho2 < 1.44f ? 1.0f - SmoothStep(1.0f, 1.44f, rho2) : 0.0f;
    if (rho2 < 1.0f) {
      float ear = s.ear_p * std::pow(1.0f - rho2, 0.3f);
      const float cy = (ey + 0.25f * s.ear_h) / (0.45f * s.ear_h),
                  cz = (ez - 0.15f * s.ear_w) / (0.5f * s.ear_w);
      const float concha = cy * cy + cz * cz;
      if (concha < 1.0f) ear -= 0.6f * s.ear_p * std::sqrt(1.0f - concha);
      delta += ear;
    }
  }
  r += delta;
  // Nose, as a depth field z(x, y) found along the ray by two fixed-point steps.
  if (z > 0.0f && ax < 0.03f && y < 0.02f && y > s.base_y - 0.01f) {
    float t = r;
    for (int it = 0; it < 2; ++it) {
      const Vec3 q = c + t * d;
      const float zn = NoseDepth(s, q.x(), q.y());
      if (zn < 0) break;
      t = (zn - c.z()) / d.z();
    }
    r = SMax(r, t, 0.0025f);
  }
  // Eyelids: over each eye the skin stays at least a lid's thickness in front of the eyeball, and
  // inside the lid opening it dives behind the eyeball to the eye centre's depth.
  for (int side = 0; side < 2; ++side) {
    const Vec3 eye((side == 0 ? 1.0f : -1.0f) * s.half_ipd, 0.0f, 0.0f);
    const float lateral = Vec2(x - eye.x(), y).norm();
    if (lateral > 0.024f || z < -0.01f) continue;
    const float lid = EllipsoidExit(c, d, eye, Vec3::Constant(s.eyeball_r + s.cornea + 0.0011f));
    const float fall = 1.0f - SmoothStep(0.012f, 0.019f, lateral);
    r = SMax(r, lid * fall, 0.002f);
    const float w = EyeOpening(s, d, side);
    if (w > 0.0f) {
      out.opening = std::max(out.opening, w);
      r = Lerp(r, (eye - c).dot(d), w);
    }
  }
  // Eyebrows: a slightly raised strip 3 mm below the landmark line, 4.5 -> 2.5 mm half-thick.
  if (z > -0.02f && y > 0.005f && y < 0.045f && ax < 0.07f) {
    std::array<Vec2, 5> line = s.brow;
    for (auto& pnt : line) pnt = Vec2(-std::abs(pnt.x()), pnt.y() - 0.003f);
    float f;
    const float dist = DistanceToPolyline(line, Vec2(-ax, y), &f);
    const float half = Lerp(0.0025f, 0.0045f, f);
    out.brow = 1.0f - SmoothStep(half - 0.0008f, half + 0.0008f, dist);
    r += 0.0010f * out.brow;
  }
  // Hair cap.
  if (s.hair_style > 0) {
    const float line = HairlineY(s, phi * 180.0f / kPi);
    out.hair = SmoothStep(line - 0.004f, line + 0.004f, y) * (1.0f - out.ear);
    const float thick = s.hair_style == 2 ? 0.010f + 0.005f * SmoothStep(0.0f, 0.09f, y)
                                          : 0.005f + 0.004f * SmoothStep(0.0f, 0.09f, y);
    r += thick * out.hair;
  }
  out.r = r;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expression deformations (after the skin is built; landmarks ride along).

struct Deformation {
  const Shape& s;
  const ProceduralExpression& e;
  float jaw_angle;

  // Brows and smile: displacement at a rest position (front of the face only).
  Vec3 Soft(const Vec3& p) const {
    Vec3 d = Vec3::Zero();
    // Nothing moves for a neutral face, nor outside the front of the face (the fields' Gaussians
    // are below 1e-4 there).
    if (p.z() < -0.03f || (e.brow_raise == 0 && e.brow_inner_up == 0 && e.smile == 0) ||
        std::abs(p.x()) > 0.11f || p.y() < -0.13f || p.y() > 0.09f)
      return d;
    for (int side = 0; side < 2; ++side) {
      const float sg = side == 0 ? 1.0f : -1.0f;
      const float above_eye = SmoothStep(0.004f, 0.012f, p.y());
      const float wb =
          above_eye * std::exp(-std::pow((p.x() - sg * (s.half_ipd + 0.003f)) / 0.026f, 2.0f) -
                               std::pow((p.y() - 0.024f) / 0.016f, 2.0f));
      if (e.brow_raise >= 0) {
        d.y() += 0.007f * e.brow_raise * wb;
      } else {
        const float f = -e.brow_raise;
        d += Vec3(-sg * 0.003f * f, -0.0045f * f, 0.0015f * f) * wb;
      }
      const float wi =
          above_eye * std::exp(-std::pow((p.x() - sg * (s.half_ipd - 0.017f)) / 0.012f, 2.0f) -
                               std::pow((p.y() - 0.022f) / 0.012f, 2.0f));
      d.y() += 0.006f * e.brow_inner_up * wi;
      const Vec2 corner(sg * s.mouth_w, s.mouth_y);
      const float g =
          std::exp(-(Vec2(p.x(), p.y()) - corner).squaredNorm() / (2 * 0.011f * 0.011f));
      const Vec2 cheek(sg * 0.04f, -0.03f);
      const float gc =
          std::exp(-(Vec2(p.x(), p.y()) - cheek).squaredNorm() / (2 * 0.013f * 0.013f));
      if (e.smile >= 0) {
        d += Vec3(sg * 0.004f, 0.006f, -0.003f) * (e.smile * g) +
             Vec3(0, 0.0025f, 0.002f) * (e.smile * gc);
      } else {
        d.y() += 0.0045f * e.smile * g;
      }
    }
    return d;
  }

  // Fraction of the jaw rotation a skin vertex follows; `my` = height above the lip line.
  float JawWeight(const Vec3& p, float u, float my) const {
    const float width = 0.0015f + 0.6f * std::max(0.0f, (std::abs(u) - 1.0f) * s.mouth_w);
    float w = SmoothStep(-width, width, -my);
    w *= SmoothStep(s.hinge.z(), s.hinge.z() + 0.04f, p.z());
    w *= SmoothStep(-0.15f, -0.115f, p.y());
    return w;
  }

  Vec3 Rotate(const Vec3& p, float fraction) const {
    const float a = jaw_angle * fraction;
    if (a == 0.0f) return p;
    const Vec3 q = p - s.hinge;
    return s.hinge + Vec3(q.x(), q.y() * std::cos(a) - q.z() * std::sin(a),
                          q.y() * std::sin(a) + q.z() * std::cos(a));
  }
};

// ---------------------------------------------------------------------------------------------
// Mesh assembly.

struct Builder {
  core::io::Mesh mesh;
  std::vector<PartClass> classes;
  std::vector<Tissue> tissues;

  void BeginPart(const std::string& name, PartClass c, Tissue t) {
    if (!mesh.parts.empty()) mesh.parts.back().triangle_end = mesh.NumTriangles();
    core::io::MeshPart part;
    part.name = name;
    part.material = name;
    part.triangle_begin = mesh.NumTriangles();
    part.vertex_begin = mesh.NumVertices();
    mesh.parts.push_back(part);
    classes.push_back(c);
    tissues.push_back(t);
  }
  void Triangle(int a, int b, int c) {
    if (a == b || b == c || a == c) return;
    mesh.triangles.emplace_back(a, b, c);
    mesh.triangle_part.push_back(static_cast<int>(mesh.parts.size()) - 1);
  }
  int Vertex(const Vec3& p) {
    mesh.positions.push_back(p);
    return mesh.NumVertices() - 1;
  }
  void Finish() {
    mesh.parts.back().triangle_end = mesh.NumTriangles();
    for (auto& part : mesh.parts) part.vertex_end = std::max(part.vertex_begin, part.vertex_end);
  }
};

constexpr float kIrisAngle = 0.532f;  // iris edge, 30.5 degrees from the gaze axis

// A UV-sphere eyeball with its pole on the gaze axis: iris rings up to 30.5 degrees (with a
// corneal bulge), sclera beyond.
void AddEyeball(Builder* b, const Shape& s, int side, const Eigen::Matrix3f& gaze) {
  const std::string name = side == 0 ? "left" : "right";
  const Vec3 centre((side == 0 ? 1.0f : -1.0f) * s.half_ipd, 0.0f, 0.0f);
  const float iris_angle = kIrisAngle;
  std::vector<float> rings = {0.0f, 0.09f, 0.175f, 0.26f, 0.35f, 0.44f, iris_angle};
  for (int k = 1; k <= 13; ++k) rings.push_back(iris_angle + (kPi - iris_angle) * k / 13.0f);
  const int n_lon = 32;
  const int first = b->mesh.NumVertices();
  auto radius = [&](float psi) {
    if (psi >= iris_angle) return s.eyeball_r;
    const float c = std::cos(0.5f * kPi * psi / iris_angle);
    return s.eyeball_r + s.cornea * c * c;
  };
  // Vertices: the front pole, rings of n_lon, the back pole.
  auto position = [&](float psi, float lon) -> Vec3 {
    const Vec3 local(std::sin(psi) * std::cos(lon), std::sin(psi) * std::sin(lon), std::cos(psi));
    return centre + gaze * (radius(psi) * local);
  };
  b->mesh.positions.push_back(position(0, 0));
  for (size_t k = 1; k + 1 < rings.size(); ++k)
    for (int l = 0; l < n_lon; ++l)
      b->mesh.positions.push_back(position(rings[k], 2 * kPi * l / n_lon));
  b->mesh.positions.push_back(position(kPi, 0));
  const int n_rings = static_cast<int>(rings.size()) - 2;
  auto ring_vertex = [&](int k, int l) { return first + 1 + (k - 1) * n_lon + (l % n_lon); };
  const int back = first + 1 + n_rings * n_lon;
  // Orientation: psi grows away from the gaze, lon counter-clockwise about it seen from the front.
  for (int part = 0; part < 2; ++part) {
    const bool iris = part == 0;
    b->BeginPart((iris ? "iris_" : "sclera_") + name, PartClass::kEyes,
                 iris ? Tissue::kIris : Tissue::kSclera);
    b->mesh.parts.back().vertex_begin = first;
    b->mesh.parts.back().vertex_end = back + 1;
    for (int k = 0; k < n_rings; ++k) {
      const bool in_iris = rings[k + 1] <= iris_angle + 1e-6f;
      if (in_iris != iris) continue;
      for (int l = 0; l < n_lon; ++l) {
        if (k == 0) {
          b->Triangle(first, ring_vertex(1, l), ring_vertex(1, l + 1));
        } else {
          b->Triangle(ring_vertex(k, l), ring_vertex(k + 1, l), ring_vertex(k + 1, l + 1));
          b->Triangle(ring_vertex(k, l), ring_vertex(k + 1, l + 1), ring_vertex(k, l + 1));
        }
      }
    }
    if (!iris)
      for (int l = 0; l < n_lon; ++l)
        b->Triangle(back, ring_vertex(n_rings, l + 1), ring_vertex(n_rings, l));
  }
}

// A dental arch: a closed curved slab (front face, incisal/top edges, back face, end caps) along
// an elliptical arc behind the lips.
void AddTeeth(Builder* b, const std::string& name, const Vec3& front_centre, float half_width,
              float depth, float top, float bottom, const Deformation* jaw) {
  b->BeginPart(name, PartClass::kTeethMouth, Tissue::kTeeth);
  const int segments = 24;
  const float max_angle = 1.35f, thickness = 0.0065f;
  const int first = b->mesh.NumVertices();
  for (int i = 0; i <= segments; ++i) {
    const float a = -max_angle + 2 * max_angle * i / segments;
    const Vec3 arc(half_width * std::sin(a), 0.0f, -depth * (1.0f - std::cos(a)));
    const Vec3 inward = -Vec3(depth * std::sin(a), 0.0f, half_width * std::cos(a)).normalized();
    const Vec3 outer = front_centre + arc, inner = outer + thickness * inward;
    for (const Vec3& p : {Vec3(outer.x(), top, outer.z()), Vec3(outer.x(), bottom, outer.z()),
                          Vec3(inner.x(), bottom, inner.z()), Vec3(inner.x(), top, inner.z())})
      b->Vertex(jaw ? jaw->Rotate(p, 1.0f) : p);
  }
  b->mesh.parts.back().vertex_begin = first;
  b->mesh.parts.back().vertex_end = b->mesh.NumVertices();
  auto v = [&](int i, int k) { return first + 4 * i + (k % 4); };
  for (int i = 0; i < segments; ++i)
    for (int k = 0; k < 4; ++k) {
      b->Triangle(v(i, k), v(i + 1, k + 1), v(i + 1, k));
      b->Triangle(v(i, k), v(i, k + 1), v(i + 1, k + 1));
    }
  b->Triangle(v(0, 0), v(0, 2), v(0, 1));
  b->Triangle(v(0, 0), v(0, 3), v(0, 2));
  b->Triangle(v(segments, 0), v(segments, 1), v(segments, 2));
  b->Triangle(v(segments, 0), v(segments, 2), v(segments, 3));
}

// The 68 landmark targets of the neutral face (anatomical frame) that are found by direction.
std::array<Vec3, 68> LandmarkTargets(const Shape& s, const ProceduralIdentity& id) {
  std::array<Vec3, 68> t;
  const float fh = s.face_scale_y;
  const float jaw = s.jaw_r.x() / 0.058f, width = s.cranium_r.x() / 0.078f;
  // Jaw contour (ICT neutral head), right side; the left mirrors it.
  const float jaw_pts[9][3] = {{-0.0736f, 0.0007f, -0.0433f},  {-0.0728f, -0.0212f, -0.0406f},
                               {-0.0694f, -0.0407f, -0.0346f}, {-0.0656f, -0.0597f, -0.0282f},
                               {-0.0572f, -0.0810f, -0.0186f}, {-0.0430f, -0.0982f, -0.0064f},
                               {-0.0305f, -0.1052f, 0.0078f},  {-0.0154f, -0.1087f, 0.0228f},
                               {0.0f, -0.1118f, 0.0244f}};
  for (int i = 0; i <= 8; ++i) {
    const float sx = i <= 2 ? width : jaw;
    const Vec3 p(jaw_pts[i][0] * sx, jaw_pts[i][1] * fh,
                 jaw_pts[i][2] + (i >= 6 ? 0.004f * id.chin_projection : 0.0f));
    t[i] = p;
    t[16 - i] = Vec3(-p.x(), p.y(), p.z());
  }
  for (int i = 0; i < 5; ++i) {
    t[17 + i] = Vec3(s.brow[i].x(), s.brow[i].y(), 0.0f);
    t[26 - i] = Vec3(-s.brow[i].x(), s.brow[i].y(), 0.0f);
  }
  t[27] = Vec3(0, s.nasion_y, s.nasion_z);
  t[30] = Vec3(0, s.tip_y, s.tip_z);
  t[28] = t[27] + (t[30] - t[27]) / 3.0f;
  t[29] = t[27] + 2.0f * (t[30] - t[27]) / 3.0f;
  t[31] = Vec3(-0.72f * s.alar_w, s.base_y + 0.0006f, s.base_z - 0.007f);
  t[32] = Vec3(-0.34f * s.alar_w, s.base_y + 0.0006f, s.base_z - 0.0015f);
  t[33] = Vec3(0, s.base_y, s.base_z);
  t[34] = Vec3(-t[32].x(), t[32].y(), t[32].z());
  t[35] = Vec3(-t[31].x(), t[31].y(), t[31].z());
  return t;  // eyes and mouth are placed on the lid margins and the lip rows directly
}

struct BuiltGrid {
  Grid grid;
  std::vector<SkinSample> samples;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

std::vector<std::pair<std::string, float>> IdentityCoefficients(const ProceduralIdentity& i) {
  return {{"skull_width", i.skull_width},
          {"skull_height", i.skull_height},
          {"skull_depth", i.skull_depth},
          {"face_height", i.face_height},
          {"jaw_width", i.jaw_width},
          {"chin_projection", i.chin_projection},
          {"chin_width", i.chin_width},
          {"nose_length", i.nose_length},
          {"nose_width", i.nose_width},
          {"nose_projection", i.nose_projection},
          {"nose_bridge", i.nose_bridge},
          {"eye_spacing", i.eye_spacing},
          {"eye_size", i.eye_size},
          {"mouth_width", i.mouth_width},
          {"lip_thickness", i.lip_thickness},
          {"ear_size", i.ear_size},
          {"ear_protrusion", i.ear_protrusion},
          {"cheekbones", i.cheekbones},
          {"brow_ridge", i.brow_ridge},
          {"neck_width", i.neck_width},
          {"hairline", i.hairline},
          {"hair_style", static_cast<float>(i.hair_style)}};
}

std::vector<std::pair<std::string, float>> ExpressionControls(const ProceduralExpression& e) {
  return {{"jaw_open", e.jaw_open},
          {"smile", e.smile},
          {"brow_raise", e.brow_raise},
          {"brow_inner_up", e.brow_inner_up},
          {"eye_close_left", e.eye_close_left},
          {"eye_close_right", e.eye_close_right},
          {"gaze_yaw", e.gaze_yaw},
          {"gaze_pitch", e.gaze_pitch}};
}

namespace {

void CheckParams(const ProceduralHeadParams& p, const ProceduralHeadOptions& o) {
  for (const auto& [name, value] : IdentityCoefficients(p.identity))
    if (!std::isfinite(value) || (name != "hair_style" && std::abs(value) > 4.0f))
      throw MakeError("procedural head: identity '{}' = {} outside [-4, 4] standard deviations",
                      name, value);
  if (p.identity.hair_style < 0 || p.identity.hair_style > 2)
    throw MakeError("procedural head: hair_style {} not in 0..2", p.identity.hair_style);
  const auto& e = p.expression;
  auto check = [](const char* name, float v, float lo, float hi) {
    if (!std::isfinite(v) || v < lo || v > hi)
      throw MakeError("procedural head: expression '{}' = {} outside [{}, {}]", name, v, lo, hi);
  };
  check("jaw_open", e.jaw_open, 0, 1);
  check("smile", e.smile, -1, 1);
  check("brow_raise", e.brow_raise, -1, 1);
  check("brow_inner_up", e.brow_inner_up, 0, 1);
  check("eye_close_left", e.eye_close_left, -0.5f, 1);
  check("eye_close_right", e.eye_close_right, -0.5f, 1);
  check("gaze_yaw", e.gaze_yaw, -0.6f, 0.6f);
  check("gaze_pitch", e.gaze_pitch, -0.5f, 0.5f);
  if (o.azimuth_steps < 96 || o.azimuth_steps % 2 != 0 || o.polar_steps < 64)
    throw MakeError(
        "procedural head: grid {}x{} too coarse (azimuth_steps >= 96 and even, "
        "polar_steps >= 64)",
        o.azimuth_steps, o.polar_steps);
}

// Everything but the dense subset; `face` receives the face-area mask (dense candidates).
HeadInstance BuildHead(const ProceduralHeadParams& params, const ProceduralHeadOptions& options,
                       std::vector<std::uint8_t>* face_out) {
  const ProceduralIdentity& id = params.identity;
  const ProceduralExpression& ex = params.expression;
  Shape s = ShapeFrom(id, ex);
  const Grid g = MakeGrid(options, &s);
  const int n_grid = g.n_phi * g.n_theta;

  // 1. The skin along every grid direction.
  std::vector<SkinSample> samples(n_grid);
  std::vector<Vec3> rest(n_grid);
  for (int j = 0; j < g.n_theta; ++j)
    for (int i = 0; i < g.n_phi; ++i) {
      const int v = g.Index(j, i);
      samples[v] = EvaluateSkin(s, g.dir[v], g.theta[j], g.phi[i]);
      rest[v] = s.centre + samples[v].r * g.dir[v];
    }
  const SkinSample crown = EvaluateSkin(s, Vec3(0, 1, 0), 0.0f, 0.0f);
  const SkinSample base = EvaluateSkin(s, Vec3(0, -1, 0), kPi, 0.0f);
  const int col_a = g.centre_col - kMouthHalfColumns, col_b = g.centre_col + kMouthHalfColumns;
  const int row_m = g.mouth_row;

  // 2. Landmarks on the rest skin (before the expression's deformations, which carry them).
  std::array<int, 68> lm;
  auto nearest_grid = [&](const Vec3& target, auto allowed_in) {
    // Targets on the midline stay on the midline column.
    auto allowed = [&](int v) {
      return allowed_in(v) && (target.x() != 0.0f || v % g.n_phi == g.centre_col);
    };
    float theta, phi;
    Angles(s, target, &theta, &phi);
    const int row =
        static_cast<int>(std::lower_bound(g.theta.begin(), g.theta.end(), theta) - g.theta.begin());
    int col = 0;
    float best_phi = 1e9f;
    for (int i = 0; i < g.n_phi; ++i) {
      float dphi = std::abs(g.phi[i] - phi);
      dphi = std::min(dphi, 2 * kPi - dphi);
      if (dphi < best_phi) {
        best_phi = dphi;
        col = i;
      }
    }
    int best = -1;
    float best_d = 1e9f;
    for (int dj = -4; dj <= 4; ++dj)
      for (int di = -4; di <= 4; ++di) {
        const int j = row + dj, i = (col + di + g.n_phi) % g.n_phi;
        if (j < 0 || j >= g.n_theta) continue;
        const int v = g.Index(j, i);
        if (!allowed(v)) continue;
        const float d = (rest[v] - target).squaredNorm();
        if (d < best_d) {
          best_d = d;
          best = v;
        }
      }
    if (best < 0)
      throw MakeError("procedural head: no skin vertex near the landmark target ({}, {}, {})",
                      target.x(), target.y(), target.z());
    return best;
  };
  auto any = [](int) { return true; };
  const std::array<Vec3, 68> targets = LandmarkTargets(s, id);
  for (int i = 0; i <= 35; ++i) {
    // Contour, brow and nose points: the skin vertex closest to the target along its direction.
    Vec3 target = targets[i];
    if (i >= 17 && i <= 26) {
      float theta, phi;
      Angles(s, Vec3(target.x(), target.y(), 0.02f), &theta, &phi);
      const Vec3 d(std::sin(theta) * std::sin(phi), std::cos(theta),
                   std::sin(theta) * std::cos(phi));
      target = s.centre + EvaluateSkin(s, d, theta, phi).r * d;
    }
    lm[i] = nearest_grid(target, any);
  }
  // Eyes: vertices on the lid margins (not inside the opening), at the corners and thirds.
  for (int side = 0; side < 2; ++side) {
    const float sg = side == 0 ? 1.0f : -1.0f;
    auto lid_point = [&](float t, bool upper) {
      float up, lo;
      LidCurves(s, side, t, &up, &lo);
      const float lateral = -s.eye_inner + t * (s.eye_inner + s.eye_outer);
      return Vec3(sg * (s.half_ipd + lateral), upper ? up : lo, s.eyeball_r + 0.002f);
    };
    auto not_open = [&](int v) { return samples[v].opening < 0.05f; };
    // Multi-PIE order: right eye 36 outer, 37-38 upper (outer to inner), 39 inner, 40-41 lower
    // (inner to outer); left eye 42 inner, 43-44 upper (inner to outer), 45 outer, 46-47 lower.
    const int b0 = side == 0 ? 42 : 36;
    const float ts[6] = {side == 0 ? 0.0f : 1.0f,         side == 0 ? 1.0f / 3 : 2.0f / 3,
                         side == 0 ? 2.0f / 3 : 1.0f / 3, side == 0 ? 1.0f : 0.0f,
                         side == 0 ? 2.0f / 3 : 1.0f / 3, side == 0 ? 1.0f / 3 : 2.0f / 3};
    const bool upper[6] = {true, true, true, true, false, false};
    for (int k = 0; k < 6; ++k) lm[b0 + k] = nearest_grid(lid_point(ts[k], upper[k]), not_open);
  }

  // 3. Mesh: the skin grid with the lip line cut between the mouth corners.
  Builder b;
  b.mesh.source = "procedural";
  b.mesh.positions.resize(n_grid + 2);
  const int crown_v = n_grid, base_v = n_grid + 1;
  // Lower-lip copies of the interior slit vertices.
  std::vector<int> lower_copy(g.n_phi, -1);
  for (int i = col_a + 1; i < col_b; ++i) {
    lower_copy[i] = static_cast<int>(b.mesh.positions.size());
    b.mesh.positions.push_back(Vec3::Zero());
  }
  const int n_skin = static_cast<int>(b.mesh.positions.size());

  // Deformed positions of the skin.
  Deformation def{s, ex, kJawAngle * ex.jaw_open};
  std::vector<float> jaw_w(n_skin, 0.0f);
  auto mouth_coords = [&](int j, int i, float* u, float* my) {
    *u = g.phi[i] / s.mouth_phi;
    *my = -(g.theta[j] - s.mouth_theta) * s.mouth_radius;
  };
  auto deform = [&](const Vec3& p, float w) { return def.Rotate(p + def.Soft(p), w); };
  for (int j = 0; j < g.n_theta; ++j)
    for (int i = 0; i < g.n_phi; ++i) {
      const int v = g.Index(j, i);
      float u, my;
      mouth_coords(j, i, &u, &my);
      float w = def.JawWeight(rest[v], u, my);
      if (j == row_m && i > col_a && i < col_b) w = 0.0f;      // upper lip row
      if (j == row_m && (i == col_a || i == col_b)) w = 0.5f;  // corners
      jaw_w[v] = w;
      b.mesh.positions[v] = deform(rest[v], w);
    }
  b.mesh.positions[crown_v] = s.centre + crown.r * Vec3(0, 1, 0);
  b.mesh.positions[base_v] = s.centre + base.r * Vec3(0, -1, 0);
  for (int i = col_a + 1; i < col_b; ++i) {
    jaw_w[lower_copy[i]] = 1.0f;
    b.mesh.positions[lower_copy[i]] = deform(rest[g.Index(row_m, i)], 1.0f);
  }

  // Skin triangles, by part: skin, eyebrows, hair.
  auto at = [&](int j, int i) {
    i = (i + g.n_phi) % g.n_phi;
    return g.Index(j, i);
  };
  // Below the lip row, between the corners, the triangles use the lower-lip copies.
  auto below_mouth = [&](int j, int i) {
    i = (i + g.n_phi) % g.n_phi;
    if (j == row_m && i > col_a && i < col_b) return lower_copy[i];
    return g.Index(j, i);
  };
  enum { kSkinPart, kBrowPart, kHairPart };
  auto part_of = [&](std::initializer_list<int> vs) {
    bool hair = true, brow = true;
    for (int v : vs) {
      if (v >= n_grid) {
        hair = brow = false;
        continue;
      }
      hair = hair && samples[v].hair > 0.5f;
      brow = brow && samples[v].brow > 0.5f;
    }
    return hair ? kHairPart : brow ? kBrowPart : kSkinPart;
  };
  const struct {
    const char* name;
    PartClass c;
    Tissue t;
  } skin_parts[3] = {{"skin", PartClass::kSkin, Tissue::kSkin},
                     {"eyebrows", PartClass::kHairOther, Tissue::kEyebrows},
                     {"hair", PartClass::kHairOther, Tissue::kHair}};
  // One pass finds each skin triangle's part; then the parts are emitted in order.
  std::vector<Eigen::Vector3i> skin_tris;
  std::vector<std::uint8_t> skin_part;
  skin_tris.reserve(2 * n_grid);
  skin_part.reserve(2 * n_grid);
  auto add = [&](int a, int c, int d) {
    if (a == c || c == d || a == d) return;
    skin_tris.emplace_back(a, c, d);
    skin_part.push_back(static_cast<std::uint8_t>(part_of({a, c, d})));
  };
  for (int i = 0; i < g.n_phi; ++i) {
    add(crown_v, at(0, i), at(0, i + 1));
    add(base_v, at(g.n_theta - 1, i + 1), at(g.n_theta - 1, i));
  }
  for (int j = 0; j + 1 < g.n_theta; ++j)
    for (int i = 0; i < g.n_phi; ++i) {
      const int a = below_mouth(j, i), a1 = below_mouth(j, i + 1);
      const int c = at(j + 1, i), c1 = at(j + 1, i + 1);
      add(a, c, a1);
      add(a1, c, c1);
    }
  b.mesh.triangles.reserve(skin_tris.size() + 6000);
  b.mesh.triangle_part.reserve(skin_tris.size() + 6000);
  for (int part = 0; part < 3; ++part) {
    if (std::find(skin_part.begin(), skin_part.end(), part) == skin_part.end()) continue;
    b.BeginPart(skin_parts[part].name, skin_parts[part].c, skin_parts[part].t);
    b.mesh.parts.back().vertex_begin = 0;
    b.mesh.parts.back().vertex_end = n_skin;
    for (size_t t = 0; t < skin_tris.size(); ++t)
      if (skin_part[t] == part) b.Triangle(skin_tris[t][0], skin_tris[t][1], skin_tris[t][2]);
  }

  // Mouth interior: rings from the upper lip row back into the head and forward to the lower lip.
  b.BeginPart("mouth_interior", PartClass::kTeethMouth, Tissue::kMouthInterior);
  const int rings = 6;
  const float cavity = 0.03f;
  std::vector<std::vector<int>> ring(rings + 1, std::vector<int>(g.n_phi, -1));
  const int bag_first = b.mesh.NumVertices();
  for (int i = col_a; i <= col_b; ++i) {
    const int upper = g.Index(row_m, i);
    const int lower = (i == col_a || i == col_b) ? upper : lower_copy[i];
    ring[0][i] = upper;
    ring[rings][i] = lower;
    const float u = g.phi[i] / s.mouth_phi;
    const float depth = cavity * std::sqrt(std::max(0.0f, 1.0f - u * u));
    for (int k = 1; k < rings; ++k) {
      if (i == col_a || i == col_b) {
        ring[k][i] = upper;
        continue;
      }
      const float beta = kPi * k / rings;
      const Vec3 pu = b.mesh.positions[upper], pl = b.mesh.positions[lower];
      const Vec3 mid = 0.5f * (pu + pl);
      ring[k][i] =
          b.Vertex(mid + (pu - mid) * std::cos(beta) + Vec3(0, 0, -depth * std::sin(beta)));
    }
  }
  b.mesh.parts.back().vertex_begin = bag_first;
  b.mesh.parts.back().vertex_end = b.mesh.NumVertices();
  for (int k = 0; k < rings; ++k)
    for (int i = col_a; i < col_b; ++i) {
      b.Triangle(ring[k][i], ring[k + 1][i], ring[k][i + 1]);
      b.Triangle(ring[k][i + 1], ring[k + 1][i], ring[k + 1][i + 1]);
    }

  // Teeth behind the lips; the lower arch turns with the jaw.
  const Vec3 lip_mid = rest[g.Index(row_m, g.centre_col)];
  const float arch_w = 0.9f * s.mouth_w, arch_d = 0.024f;
  AddTeeth(&b, "teeth_upper", Vec3(0, 0, lip_mid.z() - 0.0085f), arch_w, arch_d,
           lip_mid.y() + 0.0095f, lip_mid.y() - 0.0012f, nullptr);
  AddTeeth(&b, "teeth_lower", Vec3(0, 0, lip_mid.z() - 0.0105f), arch_w * 0.95f, arch_d,
           lip_mid.y() + 0.0004f, lip_mid.y() - 0.0095f, &def);

  // Eyeballs.
  const Eigen::Matrix3f gaze = (Eigen::AngleAxisf(-ex.gaze_yaw, Vec3::UnitY()) *
                                Eigen::AngleAxisf(-ex.gaze_pitch, Vec3::UnitX()))
                                   .toRotationMatrix();
  AddEyeball(&b, s, 0, gaze);
  AddEyeball(&b, s, 1, gaze);
  b.Finish();

  // 4. To the head frame: (x, y, z) -> (x, -y, -z), a rotation by 180 degrees about x.
  for (Vec3& p : b.mesh.positions) p = Vec3(p.x(), -p.y(), -p.z());

  HeadInstance head;
  head.source = "procedural";
  head.mesh = std::move(b.mesh);
  head.part_class = std::move(b.classes);
  head.part_tissue = std::move(b.tissues);
  head.mesh.normals = HeadVertexNormals(head, head.mesh.positions);
  head.left_eye_centre = Vec3(s.half_ipd, 0, 0);
  head.right_eye_centre = Vec3(-s.half_ipd, 0, 0);
  const Vec3 gaze_a = gaze * Vec3::UnitZ();
  head.left_gaze = head.right_gaze = Vec3(gaze_a.x(), -gaze_a.y(), -gaze_a.z());
  head.iris_radius = 1.001f * s.eyeball_r * std::sin(kIrisAngle);

  // Mouth landmarks straight from the lip rows: outer contour on the vermilion borders (by
  // direction), corners and inner lips on the cut.
  auto column_at = [&](float fraction) {  // -1 .. 1 across the mouth
    return g.centre_col + static_cast<int>(std::lround(fraction * kMouthHalfColumns));
  };
  lm[48] = g.Index(row_m, col_a);
  lm[54] = g.Index(row_m, col_b);
  lm[60] = g.Index(row_m, col_a + 1);
  lm[64] = g.Index(row_m, col_b - 1);
  lm[61] = g.Index(row_m, column_at(-0.4f));
  lm[62] = g.Index(row_m, column_at(0.0f));
  lm[63] = g.Index(row_m, column_at(0.4f));
  lm[65] = lower_copy[column_at(0.4f)];
  lm[66] = lower_copy[column_at(0.0f)];
  lm[67] = lower_copy[column_at(-0.4f)];
  {
    // Vermilion borders: rows above / below the lip line where the lip bump has fallen to ~30%.
    auto border = [&](int i, bool upper_lip) {
      const float u = g.phi[i] / s.mouth_phi;
      const float shape = std::sqrt(std::max(0.05f, 1.0f - u * u));
      const float target_my = upper_lip ? s.upper_h * shape : -s.lower_h * shape;
      int best = row_m;
      float best_d = 1e9f;
      for (int j = std::max(0, row_m - 20); j <= std::min(g.n_theta - 1, row_m + 20); ++j) {
        const float my = -(g.theta[j] - s.mouth_theta) * s.mouth_radius;
        if (std::abs(my - target_my) < best_d) {
          best_d = std::abs(my - target_my);
          best = j;
        }
      }
      return g.Index(best, i);
    };
    lm[49] = border(column_at(-0.65f), true);
    lm[50] = border(column_at(-0.3f), true);
    lm[51] = border(column_at(0.0f), true);
    lm[52] = border(column_at(0.3f), true);
    lm[53] = border(column_at(0.65f), true);
    lm[55] = border(column_at(0.72f), false);
    lm[56] = border(column_at(0.4f), false);
    lm[57] = border(column_at(0.0f), false);
    lm[58] = border(column_at(-0.4f), false);
    lm[59] = border(column_at(-0.72f), false);
  }
  head.landmark_vertices = lm;

  // Identity / expression records, neck, regions, dense subset.
  for (const auto& [name, value] : IdentityCoefficients(id)) {
    head.identity_names.push_back(name);
    head.identity_coefficients.push_back(value);
  }
  for (const auto& [name, value] : ExpressionControls(ex)) head.expression_weights[name] = value;
  head.expression_label = params.expression_label;
  head.neck_pivot = kDefaultNeckPivot;
  head.neck_weight = NeckWeights(head.mesh.positions, head.neck_pivot);
  std::vector<std::uint8_t> face(head.mesh.positions.size(), 0);
  for (int v = 0; v < n_grid; ++v) {
    const Vec3& p = rest[v];  // anatomical frame
    face[v] = std::abs(p.x()) < 0.068f && p.y() < 0.045f && p.y() > -0.125f && p.z() > -0.035f &&
              samples[v].opening < 0.5f && samples[v].hair < 0.5f;
  }
  head.regions = PaintFaceRegions(head.mesh.positions, head.mesh.normals,
                                  LandmarkPositions(head, head.mesh.positions), face);
  if (face_out) *face_out = std::move(face);
  return head;
}

// The dense subset is chosen once per grid resolution on the average neutral head (a grid index
// means the same anatomical place for every identity) by farthest-point sampling of the face area
// from the nose tip, and reused.
std::vector<int> DenseSubset(const ProceduralHeadOptions& o) {
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int>, std::vector<int>> cache;
  const auto key = std::make_tuple(o.azimuth_steps, o.polar_steps, o.dense_count);
  std::lock_guard<std::mutex> lock(mutex);
  const auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::vector<std::uint8_t> face;
  const HeadInstance mean = BuildHead(ProceduralHeadParams{}, o, &face);
  std::vector<int> candidates;
  for (size_t v = 0; v < face.size(); ++v)
    if (face[v]) candidates.push_back(static_cast<int>(v));
  return cache[key] = FarthestPointSubset(mean.mesh.positions, candidates, o.dense_count,
                                          mean.landmark_vertices[30]);
}

}  // namespace

HeadInstance ProceduralHead::Build(const ProceduralHeadParams& params,
                                   const ProceduralHeadOptions& options) {
  CheckParams(params, options);
  HeadInstance head = BuildHead(params, options, nullptr);
  head.dense_vertices = DenseSubset(options);
  return head;
}

// ---------------------------------------------------------------------------------------------
// Sampling.

ProceduralIdentity RandomProceduralIdentity(core::data::Rng& rng, float sigma, float clamp) {
  ProceduralIdentity id;
  float* fields[] = {&id.skull_width,    &id.skull_height,    &id.skull_depth,   &id.face_height,
                     &id.jaw_width,      &id.chin_projection, &id.chin_width,    &id.nose_length,
                     &id.nose_width,     &id.nose_projection, &id.nose_bridge,   &id.eye_spacing,
                     &id.eye_size,       &id.mouth_width,     &id.lip_thickness, &id.ear_size,
                     &id.ear_protrusion, &id.cheekbones,      &id.brow_ridge,    &id.neck_width,
                     &id.hairline};
  for (float* f : fields)
    *f = std::clamp(static_cast<float>(rng.Normal(0.0, sigma)), -clamp, clamp);
  const double u = rng.Uniform();
  id.hair_style = u < 0.15 ? 0 : u < 0.70 ? 1 : 2;
  return id;
}

ProceduralExpression ProceduralExpressionPreset(Expression expression, float k) {
  ProceduralExpression e;
  switch (expression) {
    case Expression::kNeutral:
      break;
    case Expression::kHappy:
      e.smile = 0.85f * k;
      e.eye_close_left = e.eye_close_right = 0.25f * k;
      e.jaw_open = 0.1f * k;
      break;
    case Expression::kSad:
      e.smile = -0.7f * k;
      e.brow_inner_up = 0.8f * k;
      e.brow_raise = -0.15f * k;
      e.eye_close_left = e.eye_close_right = 0.15f * k;
      break;
    case Expression::kAngry:
      e.brow_raise = -0.9f * k;
      e.eye_close_left = e.eye_close_right = 0.3f * k;
      e.smile = -0.3f * k;
      break;
    case Expression::kScared:
      e.brow_raise = 0.8f * k;
      e.brow_inner_up = 0.6f * k;
      e.eye_close_left = e.eye_close_right = -0.4f * k;
      e.jaw_open = 0.3f * k;
      break;
  }
  return e;
}

ProceduralExpression RandomProceduralExpression(core::data::Rng& rng, Expression* base) {
  const Expression chosen = kAllExpressions[rng.UniformInt(uint64_t{kAllExpressions.size()})];
  if (base) *base = chosen;
  ProceduralExpression e =
      ProceduralExpressionPreset(chosen, static_cast<float>(rng.Uniform(0.4, 1.0)));
  e.jaw_open = std::clamp(
      e.jaw_open + (rng.Bernoulli(0.3) ? static_cast<float>(rng.Uniform(0.0, 0.5)) : 0.0f), 0.0f,
      1.0f);
  e.smile = std::clamp(e.smile + static_cast<float>(rng.Uniform(-0.15, 0.15)), -1.0f, 1.0f);
  e.brow_raise =
      std::clamp(e.brow_raise + static_cast<float>(rng.Uniform(-0.15, 0.15)), -1.0f, 1.0f);
  const float asym = static_cast<float>(rng.Uniform(-0.1, 0.1));
  e.eye_close_left = std::clamp(e.eye_close_left + asym, -0.5f, 1.0f);
  e.eye_close_right = std::clamp(e.eye_close_right - asym, -0.5f, 1.0f);
  if (rng.Bernoulli(0.05)) {
    const float blink = static_cast<float>(rng.Uniform(0.6, 1.0));
    e.eye_close_left = std::max(e.eye_close_left, blink);
    e.eye_close_right = std::max(e.eye_close_right, blink);
  }
  e.gaze_yaw = static_cast<float>(rng.Uniform(-0.2, 0.2));
  e.gaze_pitch = static_cast<float>(rng.Uniform(-0.12, 0.12));
  return e;
}

}  // namespace synface::synth::heads
