#include "synth/render/primitives.h"

#include <Eigen/Geometry>
#include <cmath>

#include "core/util/error.h"

namespace synface::synth::render {
namespace {

void SinglePart(core::io::Mesh* mesh, const std::string& name) {
  core::io::MeshPart part;
  part.name = name;
  part.triangle_begin = 0;
  part.triangle_end = mesh->NumTriangles();
  part.vertex_begin = 0;
  part.vertex_end = mesh->NumVertices();
  mesh->parts = {part};
  mesh->triangle_part.assign(mesh->triangles.size(), 0);
  mesh->triangle_polygon.resize(mesh->triangles.size());
  for (size_t t = 0; t < mesh->triangles.size(); ++t)
    mesh->triangle_polygon[t] = static_cast<int>(t / 2);
  mesh->source = name;
}

// Appends a (segments_u x segments_v)-quad grid; corner = where uv (0, 0) lies.
void AppendGrid(core::io::Mesh* mesh, const Eigen::Vector3f& corner, const Eigen::Vector3f& edge_u,
                const Eigen::Vector3f& edge_v, int su, int sv) {
  const int base = mesh->NumVertices();
  const int uv_base = static_cast<int>(mesh->uvs.size());
  const Eigen::Vector3f normal = edge_u.cross(edge_v).normalized();
  for (int j = 0; j <= sv; ++j)
    for (int i = 0; i <= su; ++i) {
      const float u = static_cast<float>(i) / su, v = static_cast<float>(j) / sv;
      mesh->positions.push_back(corner + u * edge_u + v * edge_v);
      mesh->normals.push_back(normal);
      mesh->uvs.emplace_back(u, v);
    }
  auto index = [&](int i, int j) { return j * (su + 1) + i; };
  for (int j = 0; j < sv; ++j)
    for (int i = 0; i < su; ++i) {
      const int a = index(i, j), b = index(i + 1, j), c = index(i + 1, j + 1), d = index(i, j + 1);
      mesh->triangles.emplace_back(base + a, base + b, base + c);
      mesh->triangles.emplace_back(base + a, base + c, base + d);
      mesh->triangle_uvs.emplace_back(uv_base + a, uv_base + b, uv_base + c);
      mesh->triangle_uvs.emplace_back(uv_base + a, uv_base + c, uv_base + d);
    }
}

}  // namespace

core::io::Mesh MakePlane(const Eigen::Vector3f& centre, const Eigen::Vector3f& edge_u,
                         const Eigen::Vector3f& edge_v, int segments_u, int segments_v,
                         const std::string& name) {
  if (segments_u < 1 || segments_v < 1)
    throw core::MakeError("{}: segments {} x {} (need >= 1)", name, segments_u, segments_v);
  if (!(edge_u.cross(edge_v).norm() > 0))
    throw core::MakeError("{}: edges do not span a rectangle", name);
  core::io::Mesh mesh;
  AppendGrid(&mesh, centre - 0.5f * (edge_u + edge_v), edge_u, edge_v, segments_u, segments_v);
  SinglePart(&mesh, name);
  return mesh;
}

core::io::Mesh MakeBox(const Eigen::Vector3f& lo, const Eigen::Vector3f& hi, bool inward,
                       const std::string& name) {
  if (!((hi - lo).array() > 0).all()) throw core::MakeError("{}: empty box", name);
  const Eigen::Vector3f e = hi - lo;
  const Eigen::Vector3f ex(e.x(), 0, 0), ey(0, e.y(), 0), ez(0, 0, e.z());
  core::io::Mesh mesh;
  // Each face as (corner, edge_u, edge_v) with edge_u x edge_v pointing out of the box.
  struct Face {
    Eigen::Vector3f corner, u, v;
  };
  const Face faces[6] = {
      {lo, ez, ey},       // -x
      {lo + ex, ey, ez},  // +x
      {lo, ex, ez},       // -y
      {lo + ey, ez, ex},  // +y
      {lo, ey, ex},       // -z
      {lo + ez, ex, ey},  // +z
  };
  for (const Face& f : faces) {
    if (inward)
      AppendGrid(&mesh, f.corner, f.v, f.u, 1, 1);
    else
      AppendGrid(&mesh, f.corner, f.u, f.v, 1, 1);
  }
  SinglePart(&mesh, name);
  return mesh;
}

core::io::Mesh MakeUvSphere(const Eigen::Vector3f& centre, float radius, int rings, int segments,
                            const std::string& name) {
  if (rings < 2 || segments < 3 || !(radius > 0))
    throw core::MakeError("{}: rings {} segments {} radius {} (need >= 2, >= 3, > 0)", name, rings,
                          segments, radius);
  constexpr double kPi = 3.14159265358979323846;
  core::io::Mesh mesh;
  // Vertices: (rings + 1) latitude rows of (segments + 1) (the seam column is duplicated so UVs
  // stay continuous); normals are exact.
  for (int j = 0; j <= rings; ++j) {
    const double theta = kPi * j / rings;  // from the south pole
    for (int i = 0; i <= segments; ++i) {
      const double phi = 2 * kPi * i / segments;
      const Eigen::Vector3f n(static_cast<float>(std::sin(theta) * std::cos(phi)),
                              static_cast<float>(-std::cos(theta)),
                              static_cast<float>(-std::sin(theta) * std::sin(phi)));
      mesh.positions.push_back(centre + radius * n);
      mesh.normals.push_back(n);
      mesh.uvs.emplace_back(static_cast<float>(i) / segments, static_cast<float>(j) / rings);
    }
  }
  auto index = [&](int i, int j) { return j * (segments + 1) + i; };
  for (int j = 0; j < rings; ++j)
    for (int i = 0; i < segments; ++i) {
      const int a = index(i, j), b = index(i + 1, j), c = index(i + 1, j + 1), d = index(i, j + 1);
      if (j > 0) {  // the band at the south pole has a degenerate lower edge
        mesh.triangles.emplace_back(a, b, c);
        mesh.triangle_uvs.emplace_back(a, b, c);
      }
      if (j < rings - 1) {
        mesh.triangles.emplace_back(a, c, d);
        mesh.triangle_uvs.emplace_back(a, c, d);
      }
    }
  SinglePart(&mesh, name);
  return mesh;
}

}  // namespace synface::synth::render
