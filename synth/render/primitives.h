// Simple procedural meshes in the project's Mesh type (metres, CCW seen from outside, one part,
// per-corner UVs): backdrops, boxes and spheres for scenes, tests and benchmarks.
#pragma once

#include <Eigen/Core>
#include <string>

#include "core/io/mesh.h"

namespace synface::synth::render {

// A rectangle centred at `centre` spanned by edge_u and edge_v (full edge vectors), split into
// segments_u x segments_v quads, facing edge_u x edge_v. UV (0, 0) at centre - (edge_u + edge_v)/2,
// (1, 1) at the opposite corner.
core::io::Mesh MakePlane(const Eigen::Vector3f& centre, const Eigen::Vector3f& edge_u,
                         const Eigen::Vector3f& edge_v, int segments_u = 1, int segments_v = 1,
                         const std::string& name = "plane");

// An axis-aligned box; its six faces have their own vertices (sharp edges, flat normals). With
// `inward` the faces look into the box (a room seen from inside).
core::io::Mesh MakeBox(const Eigen::Vector3f& min_corner, const Eigen::Vector3f& max_corner,
                       bool inward = false, const std::string& name = "box");

// A UV sphere: `rings` >= 2 latitude bands, `segments` >= 3 longitude bands (2 * segments *
// (rings - 1) triangles), poles on the y axis, u around, v from the south (v = 0) to the north
// pole.
core::io::Mesh MakeUvSphere(const Eigen::Vector3f& centre, float radius, int rings, int segments,
                            const std::string& name = "sphere");

}  // namespace synface::synth::render
