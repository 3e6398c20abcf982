#include "synth/scene/scenery.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace synface::synth::scene {
namespace {

constexpr double kPi = 3.14159265358979323846;

float SrgbToLinear(float c) {
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

// Linear albedo of an sRGB colour given in HSV.
Eigen::Vector3f AlbedoFromHsv(double h, double s, double v) {
  const std::array<double, 3> c = SrgbFromHsv(h, s, v);
  return Eigen::Vector3f(SrgbToLinear(static_cast<float>(c[0])),
                         SrgbToLinear(static_cast<float>(c[1])),
                         SrgbToLinear(static_cast<float>(c[2])));
}

nlohmann::json Json(const Eigen::Vector3f& v) { return {v.x(), v.y(), v.z()}; }

SceneryMaterial Paint(const std::string& name, core::data::Rng& rng, double s_lo, double s_hi,
                      double v_lo, double v_hi) {
  SceneryMaterial m;
  m.name = name;
  m.albedo = AlbedoFromHsv(rng.Uniform(), rng.Uniform(s_lo, s_hi), rng.Uniform(v_lo, v_hi));
  m.roughness = static_cast<float>(rng.Uniform(0.5, 0.95));
  m.params = {{"kind", "paint"}, {"albedo_linear", Json(m.albedo)}};
  return m;
}

SceneryMaterial Textured(const std::string& name, TextureFamily family, int size,
                         core::data::Rng& rng) {
  SceneryMaterial m;
  m.name = name;
  m.albedo = Eigen::Vector3f::Ones();
  nlohmann::json tex;
  core::data::Rng trng = rng.Fork(name + "/texture");
  m.texture = std::make_shared<const cv::Mat>(GenerateTexture(family, size, trng, &tex));
  m.roughness = static_cast<float>(rng.Uniform(0.45, 0.95));
  m.params = {{"kind", "texture"}, {"texture", tex}};
  return m;
}

struct Rect {  // footprint in the xz plane
  double x0, z0, x1, z1;
  bool Overlaps(const Rect& o, double gap) const {
    return x0 < o.x1 + gap && o.x0 < x1 + gap && z0 < o.z1 + gap && o.z0 < z1 + gap;
  }
  bool HitsDisc(double radius) const {
    const double cx = std::clamp(0.0, x0, x1), cz = std::clamp(0.0, z0, z1);
    return cx * cx + cz * cz < radius * radius;
  }
};

}  // namespace

int Scenery::AddMaterial(SceneryMaterial material) {
  materials.push_back(std::move(material));
  return static_cast<int>(materials.size()) - 1;
}

int Scenery::NumTriangles() const {
  int n = 0;
  for (const SceneryMesh& m : meshes) n += static_cast<int>(m.triangles.size());
  return n;
}

void Scenery::AddQuad(const std::string& name, const Eigen::Vector3d& corner,
                      const Eigen::Vector3d& edge_u, const Eigen::Vector3d& edge_v, int material,
                      double tile_m) {
  SceneryMesh m;
  m.name = name;
  m.material = material;
  const Eigen::Vector3d p[4] = {corner, corner + edge_u, corner + edge_u + edge_v, corner + edge_v};
  for (const auto& q : p) m.positions.push_back(q.cast<float>());
  const float su = tile_m > 0 ? static_cast<float>(edge_u.norm() / tile_m) : 1.0f;
  const float sv = tile_m > 0 ? static_cast<float>(edge_v.norm() / tile_m) : 1.0f;
  m.uvs = {{0, 0}, {su, 0}, {su, sv}, {0, sv}};
  m.triangles = {{0, 1, 2}, {0, 2, 3}};
  meshes.push_back(std::move(m));
}

void Scenery::AddBox(const std::string& name, const Eigen::Vector3d& lo, const Eigen::Vector3d& hi,
                     int material, double tile_m) {
  const Eigen::Vector3d d = hi - lo;
  const Eigen::Vector3d X(d.x(), 0, 0), Y(0, d.y(), 0), Z(0, 0, d.z());
  // Each face: corner and edges with edge_u x edge_v pointing outwards.
  AddQuad(name + "/+x", Eigen::Vector3d(hi.x(), lo.y(), lo.z()), Y, Z, material, tile_m);
  AddQuad(name + "/-x", lo, Z, Y, material, tile_m);
  AddQuad(name + "/+y", Eigen::Vector3d(lo.x(), hi.y(), lo.z()), Z, X, material, tile_m);
  AddQuad(name + "/-y", lo, X, Z, material, tile_m);
  AddQuad(name + "/+z", Eigen::Vector3d(lo.x(), lo.y(), hi.z()), X, Y, material, tile_m);
  AddQuad(name + "/-z", lo, Y, X, material, tile_m);
}

void Scenery::AddCylinder(const std::string& name, const Eigen::Vector3d& base, double radius,
                          double height, int material, int segments) {
  SceneryMesh m;
  m.name = name;
  m.material = material;
  m.smooth = false;
  const int n = std::max(3, segments);
  // Side: a ring of quads, vertices duplicated per ring for the UV seam.
  for (int i = 0; i <= n; ++i) {
    const double a = 2.0 * kPi * i / n;
    const double x = base.x() + radius * std::cos(a), z = base.z() + radius * std::sin(a);
    m.positions.emplace_back(x, base.y(), z);
    m.positions.emplace_back(x, base.y() - height, z);
    m.uvs.emplace_back(static_cast<float>(i) / n, 0.0f);
    m.uvs.emplace_back(static_cast<float>(i) / n, 1.0f);
  }
  for (int i = 0; i < n; ++i) {
    const int b0 = 2 * i, t0 = 2 * i + 1, b1 = 2 * i + 2, t1 = 2 * i + 3;
    // Outward: looking from outside, going around with increasing angle (x -> z) and y down.
    m.triangles.emplace_back(b0, t1, t0);
    m.triangles.emplace_back(b0, b1, t1);
  }
  // Caps: fans around centre vertices.
  const int cb = static_cast<int>(m.positions.size());
  m.positions.push_back(base.cast<float>());
  m.uvs.emplace_back(0.5f, 0.5f);
  const int ct = cb + 1;
  m.positions.push_back((base - Eigen::Vector3d(0, height, 0)).cast<float>());
  m.uvs.emplace_back(0.5f, 0.5f);
  for (int i = 0; i < n; ++i) {
    m.triangles.emplace_back(cb, 2 * i + 2, 2 * i);      // bottom faces +y (down)
    m.triangles.emplace_back(ct, 2 * i + 1, 2 * i + 3);  // top faces -y (up)
  }
  meshes.push_back(std::move(m));
}

void Scenery::AddEllipsoid(const std::string& name, const Eigen::Vector3d& centre,
                           const Eigen::Vector3d& radii, int material, int segments) {
  SceneryMesh m;
  m.name = name;
  m.material = material;
  m.smooth = true;
  const int n = std::max(4, segments), rings = std::max(2, segments / 2);
  for (int r = 0; r <= rings; ++r) {
    const double theta = kPi * r / rings;
    for (int i = 0; i <= n; ++i) {
      const double phi = 2.0 * kPi * i / n;
      const Eigen::Vector3d d(std::sin(theta) * std::cos(phi), -std::cos(theta),
                              std::sin(theta) * std::sin(phi));
      m.positions.push_back((centre + radii.cwiseProduct(d)).cast<float>());
      m.uvs.emplace_back(static_cast<float>(i) / n, static_cast<float>(r) / rings);
    }
  }
  for (int r = 0; r < rings; ++r) {
    for (int i = 0; i < n; ++i) {
      const int a = r * (n + 1) + i, b = a + 1, c = a + (n + 1), d = c + 1;
      m.triangles.emplace_back(a, d, b);
      m.triangles.emplace_back(a, c, d);
    }
  }
  meshes.push_back(std::move(m));
}

Scenery BuildPlainRoom(const PlainRoomSpec& spec, SceneryMaterial wall, SceneryMaterial floor) {
  Scenery s;
  const int wall_m = s.AddMaterial(std::move(wall));
  const int floor_m = s.AddMaterial(std::move(floor));
  const double S = spec.plane_size, half = S / 2.0;
  const double h = spec.eye_height;
  // Walls reach from 0.5 m below the floor to S - 0.5 m above it, as the authors' scaled planes.
  const double y_bottom = h + 0.5, y_top = y_bottom - S;
  const double t = spec.wall_tile_m;
  const Eigen::Vector3d X(S, 0, 0), Y(0, S, 0), Z(0, 0, S);
  s.AddQuad("back_wall", Eigen::Vector3d(-half, y_top, spec.wall_distance), Y, X, wall_m, t);
  s.AddQuad("left_wall", Eigen::Vector3d(-spec.side_distance, y_top, -half), Y, Z, wall_m, t);
  s.AddQuad("right_wall", Eigen::Vector3d(spec.side_distance, y_top, -half), Z, Y, wall_m, t);
  s.AddQuad("floor", Eigen::Vector3d(-half, h, -half), X, Z, floor_m, t);
  s.AddQuad("ceiling", Eigen::Vector3d(-half, h - spec.ceiling_height, -half), Z, X, wall_m, t);
  s.interior =
      Eigen::AlignedBox3d(Eigen::Vector3d(-spec.side_distance, h - spec.ceiling_height, -half),
                          Eigen::Vector3d(spec.side_distance, h, spec.wall_distance));
  s.params = {{"room", "plain"},
              {"wall_distance_m", spec.wall_distance},
              {"side_distance_m", spec.side_distance},
              {"eye_height_m", spec.eye_height},
              {"ceiling_height_m", spec.ceiling_height}};
  return s;
}

Scenery BuildFurnishedRoom(const FurnishedRoomSpec& spec, core::data::Rng& rng_in) {
  core::data::Rng rng = rng_in.Fork("room");
  Scenery s;
  const int tex = spec.texture_size;
  // Room extents around the eye midpoint.
  const double left = rng.Uniform(1.5, 3.5), right = rng.Uniform(1.5, 3.5);
  const double back = rng.Uniform(1.3, 3.5), front = rng.Uniform(2.8, 4.0);
  const double h = rng.Uniform(1.5, 1.75), height = rng.Uniform(2.6, 3.4);
  const double floor_y = h, ceil_y = h - height;
  s.interior = Eigen::AlignedBox3d(Eigen::Vector3d(-left, ceil_y, -front),
                                   Eigen::Vector3d(right, floor_y, back));

  // Surfaces.
  static const TextureFamily kWallpaper[] = {TextureFamily::kStripes, TextureFamily::kNoise,
                                             TextureFamily::kWoven, TextureFamily::kCellular,
                                             TextureFamily::kBricks};
  static const TextureFamily kFloors[] = {TextureFamily::kWood, TextureFamily::kChecker,
                                          TextureFamily::kNoise, TextureFamily::kCellular};
  const bool wallpaper = rng.Bernoulli(0.4);
  const int wall_m =
      s.AddMaterial(wallpaper ? Textured("wall", kWallpaper[rng.UniformInt(uint64_t{5})], tex, rng)
                              : Paint("wall", rng, 0.0, 0.3, 0.5, 0.92));
  const double wall_tile = rng.Uniform(0.5, 1.2);
  const int floor_m =
      s.AddMaterial(Textured("floor", kFloors[rng.UniformInt(uint64_t{4})], tex, rng));
  const double floor_tile = rng.Uniform(0.6, 1.6);
  const int ceil_m = s.AddMaterial(Paint("ceiling", rng, 0.0, 0.05, 0.8, 0.95));
  const double W = left + right, D = back + front, H = height;
  s.AddQuad("floor", Eigen::Vector3d(-left, floor_y, -front), Eigen::Vector3d(W, 0, 0),
            Eigen::Vector3d(0, 0, D), floor_m, floor_tile);
  s.AddQuad("ceiling", Eigen::Vector3d(-left, ceil_y, -front), Eigen::Vector3d(0, 0, D),
            Eigen::Vector3d(W, 0, 0), ceil_m, 0.0);
  s.AddQuad("back_wall", Eigen::Vector3d(-left, ceil_y, back), Eigen::Vector3d(0, H, 0),
            Eigen::Vector3d(W, 0, 0), wall_m, wall_tile);
  s.AddQuad("front_wall", Eigen::Vector3d(-left, ceil_y, -front), Eigen::Vector3d(W, 0, 0),
            Eigen::Vector3d(0, H, 0), wall_m, wall_tile);
  s.AddQuad("left_wall", Eigen::Vector3d(-left, ceil_y, -front), Eigen::Vector3d(0, H, 0),
            Eigen::Vector3d(0, 0, D), wall_m, wall_tile);
  s.AddQuad("right_wall", Eigen::Vector3d(right, ceil_y, -front), Eigen::Vector3d(0, 0, D),
            Eigen::Vector3d(0, H, 0), wall_m, wall_tile);

  // Shared furniture materials.
  const int wood_m = s.AddMaterial(Textured("wood", TextureFamily::kWood, tex, rng));
  const int paint_m = s.AddMaterial(Paint("furniture_paint", rng, 0.1, 0.6, 0.2, 0.85));
  SceneryMaterial metal = Paint("metal", rng, 0.0, 0.15, 0.3, 0.8);
  metal.roughness = static_cast<float>(rng.Uniform(0.15, 0.4));
  metal.specular = 0.5f;
  const int metal_m = s.AddMaterial(metal);
  std::vector<int> book_m;
  for (int i = 0; i < 5; ++i) {
    book_m.push_back(s.AddMaterial(Paint(fmt::format("book{}", i), rng, 0.3, 0.8, 0.15, 0.75)));
  }
  const int fabric_m = s.AddMaterial(Textured("fabric", TextureFamily::kWoven, tex, rng));
  const int foliage_m = s.AddMaterial([&] {
    SceneryMaterial m = Textured("foliage", TextureFamily::kNoise, tex, rng);
    m.albedo = AlbedoFromHsv(rng.Uniform(0.22, 0.38), 0.8, 0.6);
    return m;
  }());

  std::vector<Rect> used;
  auto free_rect = [&](const Rect& r) {
    if (r.HitsDisc(spec.head_clearance)) return false;
    for (const Rect& u : used) {
      if (r.Overlaps(u, 0.05)) return false;
    }
    return true;
  };
  // A wall-aligned position: wall 0 back (faces -z), 1 left (faces +x), 2 right (faces -x).
  struct WallSpot {
    int wall;
    double along;  // centre along the wall
  };
  auto wall_rect = [&](const WallSpot& w, double width, double depth) {
    switch (w.wall) {
      case 0:
        return Rect{w.along - width / 2, back - depth, w.along + width / 2, back};
      case 1:
        return Rect{-left, w.along - width / 2, -left + depth, w.along + width / 2};
      default:
        return Rect{right - depth, w.along - width / 2, right, w.along + width / 2};
    }
  };
  auto draw_wall_spot = [&](double width) {
    WallSpot w;
    w.wall = static_cast<int>(rng.UniformInt(uint64_t{3}));
    if (w.wall == 0) {
      w.along = rng.Uniform(-left + width / 2, std::max(-left + width / 2, right - width / 2));
    } else {
      w.along = rng.Uniform(-front + width / 2, std::max(-front + width / 2, back - width / 2));
    }
    return w;
  };
  // Wall-mounted flat items (pictures, windows, doors): a thin box against the wall.
  std::vector<std::pair<int, std::pair<double, double>>> wall_spans;
  auto free_span = [&](int wall, double a0, double a1) {
    for (const auto& [w, span] : wall_spans) {
      if (w == wall && a0 < span.second + 0.1 && span.first < a1 + 0.1) return false;
    }
    return true;
  };
  auto wall_box = [&](const std::string& name, const WallSpot& w, double width, double y0,
                      double y1, double thickness, int material, double tile) {
    const Rect r = wall_rect(w, width, thickness);
    s.AddBox(name, Eigen::Vector3d(r.x0, y1, r.z0), Eigen::Vector3d(r.x1, y0, r.z1), material,
             tile);
  };

  const int n_items =
      static_cast<int>(rng.UniformInt(int64_t{spec.furniture_min}, int64_t{spec.furniture_max}));
  nlohmann::json items = nlohmann::json::array();
  for (int item = 0; item < n_items; ++item) {
    const int kind = static_cast<int>(rng.UniformInt(uint64_t{9}));
    const std::string name = fmt::format("item{}", item);
    for (int attempt = 0; attempt < 20; ++attempt) {
      bool placed = false;
      if (kind == 0 || kind == 1) {  // table / chair, free standing
        const bool table = kind == 0;
        const double w = table ? rng.Uniform(0.8, 1.6) : 0.45,
                     d = table ? rng.Uniform(0.6, 1.0) : 0.45;
        const double x = rng.Uniform(-left + w / 2 + 0.1, right - w / 2 - 0.1);
        const double z = rng.Uniform(-front + d / 2 + 0.1, back - d / 2 - 0.1);
        const Rect r{x - w / 2, z - d / 2, x + w / 2, z + d / 2};
        if (!free_rect(r)) continue;
        const double top = table ? rng.Uniform(0.72, 0.78) : 0.45;
        const int mat = rng.Bernoulli(0.6) ? wood_m : paint_m;
        const int top_mat = !table && rng.Bernoulli(0.5) ? fabric_m : mat;
        s.AddBox(name + "/top", Eigen::Vector3d(r.x0, floor_y - top, r.z0),
                 Eigen::Vector3d(r.x1, floor_y - top + 0.04, r.z1), top_mat, 0.8);
        const double leg = 0.05;
        for (int k = 0; k < 4; ++k) {
          const double lx = (k & 1) ? r.x1 - leg : r.x0, lz = (k & 2) ? r.z1 - leg : r.z0;
          s.AddBox(fmt::format("{}/leg{}", name, k), Eigen::Vector3d(lx, floor_y - top + 0.04, lz),
                   Eigen::Vector3d(lx + leg, floor_y, lz + leg), mat, 0.8);
        }
        if (!table) {  // chair back along the far side
          s.AddBox(name + "/back", Eigen::Vector3d(r.x0, floor_y - top - 0.45, r.z1 - 0.04),
                   Eigen::Vector3d(r.x1, floor_y - top, r.z1), mat, 0.8);
        }
        used.push_back(r);
        items.push_back({{"type", table ? "table" : "chair"}, {"x", x}, {"z", z}});
        placed = true;
      } else if (kind == 2 || kind == 3) {  // shelf with books / cabinet, against a wall
        const bool shelf = kind == 2;
        const double w = rng.Uniform(0.7, 1.5),
                     d = shelf ? rng.Uniform(0.28, 0.4) : rng.Uniform(0.4, 0.6);
        const double hh = shelf ? rng.Uniform(1.5, 2.2) : rng.Uniform(0.8, 1.2);
        const WallSpot spot = draw_wall_spot(w);
        const Rect r = wall_rect(spot, w, d);
        if (!free_rect(r)) continue;
        const int mat = rng.Bernoulli(0.5) ? wood_m : paint_m;
        if (!shelf) {
          s.AddBox(name, Eigen::Vector3d(r.x0, floor_y - hh, r.z0),
                   Eigen::Vector3d(r.x1, floor_y, r.z1), mat, 0.8);
        } else {
          const double t = 0.025;
          const int levels = static_cast<int>(rng.UniformInt(int64_t{3}, int64_t{5}));
          // Sides and back as thin boxes; shelves between.
          const bool along_x = spot.wall == 0;
          auto sub = [&](double a0, double a1, double y0, double y1, double d0, double d1) {
            // a: along the wall, d: from the wall outwards (0 = at the wall).
            Eigen::Vector3d lo, hi;
            if (along_x) {
              lo = {r.x0 + a0, y1, back - d1};
              hi = {r.x0 + a1, y0, back - d0};
            } else if (spot.wall == 1) {
              lo = {-left + d0, y1, r.z0 + a0};
              hi = {-left + d1, y0, r.z0 + a1};
            } else {
              lo = {right - d1, y1, r.z0 + a0};
              hi = {right - d0, y0, r.z0 + a1};
            }
            return std::make_pair(lo, hi);
          };
          auto add = [&](const std::string& n, std::pair<Eigen::Vector3d, Eigen::Vector3d> b,
                         int m) { s.AddBox(n, b.first, b.second, m, 0.8); };
          add(name + "/side0", sub(0, t, floor_y, floor_y - hh, 0, d), mat);
          add(name + "/side1", sub(w - t, w, floor_y, floor_y - hh, 0, d), mat);
          add(name + "/back", sub(0, w, floor_y, floor_y - hh, 0, t), mat);
          for (int l = 0; l <= levels; ++l) {
            const double y = floor_y - l * (hh - t) / levels;
            add(fmt::format("{}/shelf{}", name, l), sub(t, w - t, y, y - t, t, d), mat);
            if (l == levels) break;
            // Books standing on this shelf.
            double a = t + 0.01;
            const double space = (hh - t) / levels - t - 0.02;
            for (int b = 0; b < 40 && a < w - t - 0.06; ++b) {
              const double bw = rng.Uniform(0.02, 0.06);
              const double bh = std::min(space, rng.Uniform(0.16, 0.32));
              const double bd = std::min(d - t - 0.01, rng.Uniform(0.15, 0.26));
              if (rng.Bernoulli(0.15)) {  // a gap
                a += bw;
                continue;
              }
              add(fmt::format("{}/book{}_{}", name, l, b),
                  sub(a, a + bw, y - t, y - t - bh, t, t + bd),
                  book_m[rng.UniformInt(book_m.size())]);
              a += bw + 0.002;
            }
          }
        }
        used.push_back(r);
        items.push_back({{"type", shelf ? "shelf" : "cabinet"}, {"wall", spot.wall}});
        placed = true;
      } else if (kind == 4) {  // floor lamp
        const double x = rng.Uniform(-left + 0.3, right - 0.3),
                     z = rng.Uniform(-front + 0.3, back - 0.3);
        const Rect r{x - 0.2, z - 0.2, x + 0.2, z + 0.2};
        if (!free_rect(r)) continue;
        const double hh = rng.Uniform(1.4, 1.8);
        s.AddCylinder(name + "/base", Eigen::Vector3d(x, floor_y, z), 0.15, 0.03, metal_m);
        s.AddCylinder(name + "/pole", Eigen::Vector3d(x, floor_y - 0.03, z), 0.015, hh - 0.25,
                      metal_m, 8);
        SceneryMaterial shade = Paint(name + "/shade", rng, 0.0, 0.3, 0.7, 0.95);
        shade.emission =
            Eigen::Vector3f(1.0f, 0.85f, 0.6f) * static_cast<float>(rng.Uniform(0.5, 2.0));
        s.AddCylinder(name + "/shade", Eigen::Vector3d(x, floor_y - hh + 0.25, z), 0.2, 0.25,
                      s.AddMaterial(shade));
        used.push_back(r);
        items.push_back({{"type", "lamp"}, {"x", x}, {"z", z}});
        placed = true;
      } else if (kind == 5 || kind == 6 || kind == 7) {  // picture, window, door on a wall
        const double w = kind == 7 ? 0.9 : rng.Uniform(0.4, 1.2);
        const WallSpot spot = draw_wall_spot(w);
        if (!free_span(spot.wall, spot.along - w / 2, spot.along + w / 2)) continue;
        double y0, y1;  // bottom and top (y down)
        if (kind == 7) {
          y0 = floor_y;
          y1 = floor_y - 2.0;
          const Rect r = wall_rect(spot, w, 0.05);
          if (!free_rect(r)) continue;
          wall_box(name, spot, w, y0, y1, 0.04, rng.Bernoulli(0.5) ? wood_m : paint_m, 0.9);
          used.push_back(r);
        } else {
          const double hh = rng.Uniform(0.3, 0.9);
          y0 = floor_y - rng.Uniform(1.0, 1.4);
          y1 = y0 - hh;
          if (y1 < ceil_y + 0.1) continue;
          if (wall_rect(spot, w, 0.03).HitsDisc(0.3)) continue;
          SceneryMaterial face;
          if (kind == 5) {
            static const TextureFamily kArt[] = {TextureFamily::kMarble, TextureFamily::kNoise,
                                                 TextureFamily::kStripes, TextureFamily::kCellular};
            face = Textured(name + "/canvas", kArt[rng.UniformInt(uint64_t{4})], tex, rng);
          } else {
            face = Paint(name + "/sky", rng, 0.1, 0.4, 0.8, 1.0);
            face.albedo = Eigen::Vector3f::Zero();
            face.emission = AlbedoFromHsv(rng.Uniform(0.55, 0.62), rng.Uniform(0.05, 0.4), 1.0) *
                            static_cast<float>(rng.Uniform(0.8, 3.0));
          }
          wall_box(name + "/frame", spot, w + 0.06, y0 + 0.03, y1 - 0.03, 0.02,
                   kind == 5 ? wood_m : paint_m, 0.8);
          wall_box(name, spot, w, y0, y1, 0.03, s.AddMaterial(face), 0.0);
        }
        wall_spans.push_back({spot.wall, {spot.along - w / 2, spot.along + w / 2}});
        items.push_back({{"type", kind == 5   ? "picture"
                                  : kind == 6 ? "window"
                                              : "door"},
                         {"wall", spot.wall}});
        placed = true;
      } else {  // plant: pot and foliage
        const double x = rng.Uniform(-left + 0.45, right - 0.45),
                     z = rng.Uniform(-front + 0.45, back - 0.45);
        const Rect r{x - 0.4, z - 0.4, x + 0.4, z + 0.4};  // foliage radius <= 0.4
        if (!free_rect(r)) continue;
        const double pot_h = rng.Uniform(0.25, 0.5);
        s.AddCylinder(name + "/pot", Eigen::Vector3d(x, floor_y, z), 0.18, pot_h,
                      rng.Bernoulli(0.5) ? paint_m : metal_m);
        const double fr = rng.Uniform(0.25, 0.4), fh = rng.Uniform(0.3, 0.7);
        s.AddEllipsoid(name + "/foliage", Eigen::Vector3d(x, floor_y - pot_h - fh * 0.8, z),
                       Eigen::Vector3d(fr, fh, fr), foliage_m, 14);
        used.push_back(r);
        items.push_back({{"type", "plant"}, {"x", x}, {"z", z}});
        placed = true;
      }
      if (placed) break;
    }
  }
  s.params = {{"room", "furnished"},
              {"left_m", left},
              {"right_m", right},
              {"back_m", back},
              {"front_m", front},
              {"eye_height_m", h},
              {"height_m", height},
              {"wall", s.materials[wall_m].params},
              {"floor", s.materials[floor_m].params},
              {"items", items}};
  return s;
}

}  // namespace synface::synth::scene
